"""csm's API routes (included at the URL root): health, stats, status page, platform."""

from django.urls import re_path

from csm.api import platform

urlpatterns = [
    re_path(r"^health/?$", platform.HealthView.as_view(), name="health"),
    re_path(r"^healthz/?$", platform.HealthzView.as_view(), name="healthz"),
    re_path(r"^api/health/?$", platform.ApiHealthView.as_view(), name="api-health"),
    re_path(r"^api/stats/?$", platform.StatsView.as_view(), name="api-stats"),
    re_path(r"^api/stats/detailed/?$", platform.StatsDetailedView.as_view(),
            name="api-stats-detailed"),
    re_path(r"^stats/?$", platform.StatsPageRedirectView.as_view(), name="stats-redirect"),
    re_path(r"^api/status/checks/?$", platform.StatusChecksView.as_view(),
            name="api-status-checks"),
    re_path(r"^api/status/incidents/?$", platform.IncidentListView.as_view(),
            name="api-status-incidents"),
    re_path(r"^api/platform/settings/?$", platform.PlatformSettingsView.as_view(),
            name="api-platform-settings"),
    re_path(r"^api/app/latest/?$", platform.AppLatestView.as_view(), name="api-app-latest"),
]
