from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from csm import views

urlpatterns = [
    path("admin/", admin.site.urls),
    # Django's language switch, remembering a signed-in user's choice for their emails
    path("i18n/setlang/", account_views.language_set, name="set_language"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("accounts.api.urls")),
    path("", include("csm.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("pricing.api.urls")),
    # Last: the catalogue's /{tcg_slug}/… routes take any first path segment.
    path("", include("catalogue.api.urls")),
]

if settings.CSM_SERVE_MEDIA:
    # Card thumbnails and uploads for the self-hosted single-process setup (path traversal is
    # refused by serve()); production proxies serve MEDIA_ROOT directly.
    urlpatterns.insert(0, re_path(r"^media/(?P<path>.+)$", views.media))

urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("csm.urls_pages")),
    path("", include("pricing.urls")),
    path("", include("catalogue.urls")),
)

handler400 = "csm.errors.bad_request"
handler403 = "csm.errors.permission_denied"
handler404 = "csm.errors.page_not_found"
handler500 = "csm.errors.server_error"
