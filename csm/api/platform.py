"""Health, stats, status page, platform settings and the mobile-app release manifest."""

from __future__ import annotations

from typing import Any

from django.db import Error as DatabaseError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from csm import __version__
from csm.api.pagination import pagination
from csm.api.permissions import IsAdmin
from csm.api.validation import validate_body, validate_query
from csm.models import AppRelease, Incident, PlatformSettings, ServiceStatus, StatusCheck
from csm.selectors import (
    HEALTH_KEYS,
    STATS_KEYS,
    app_release_latest,
    database_ping,
    database_size_mb,
    incident_list,
    platform_settings_announcement,
    platform_settings_get,
    platform_tcg_totals,
    platform_totals,
    status_check_latest,
)
from csm.services import platform_settings_update, status_checks_record
from csm.status import registered_probes

ERROR = OpenApiResponse(description='`{"detail": "..."}`')

# --- Health ---------------------------------------------------------------------------------


class HealthOut(serializers.Serializer):
    status = serializers.CharField()


class HealthzOut(serializers.Serializer):
    status = serializers.CharField(help_text="`ok`, or `degraded` when the database is "
                                             "unreachable")
    db = serializers.BooleanField()


class AlwaysJson(BaseContentNegotiation):
    """Monitors send all sorts of Accept headers; a probe answers JSON, never 406."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list,
                        format_suffix: str | None = None) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class ProbeView(APIView):
    """Monitoring endpoints: no authentication, sessions or throttling; always JSON."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AlwaysJson


class HealthView(ProbeView):
    @extend_schema(tags=["health"], summary="Lightweight liveness probe",
                   responses={200: HealthOut})
    def get(self, request: Request) -> Response:
        return Response(HealthOut({"status": "ok"}).data)


class HealthzView(ProbeView):
    @extend_schema(tags=["health"], summary="DB-aware health check",
                   responses={200: HealthzOut, 503: HealthzOut})
    def get(self, request: Request) -> Response:
        try:
            database_ping()
        except DatabaseError:
            return Response(HealthzOut({"status": "degraded", "db": False}).data,
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(HealthzOut({"status": "ok", "db": True}).data)


class ApiHealthOut(serializers.Serializer):
    status = serializers.CharField(help_text="`ok`, or `degraded` when the database is "
                                             "unreachable")
    cards = serializers.IntegerField()
    prices = serializers.IntegerField()
    users = serializers.IntegerField()
    sellers = serializers.IntegerField()
    active_alerts = serializers.IntegerField()
    db_size_mb = serializers.FloatField(allow_null=True)
    version = serializers.CharField()


class ApiHealthView(APIView):
    @extend_schema(tags=["health"], summary="Detailed health + DB counts",
                   description="Counts are cached for up to a minute. 503 with status "
                               "`degraded` (zero counts, `db_size_mb` null) when the database "
                               "is unreachable.",
                   responses={200: ApiHealthOut, 503: ApiHealthOut})
    def get(self, request: Request) -> Response:
        try:
            database_ping()
            counts = platform_totals()
            size = database_size_mb()
            state = "ok"
        except DatabaseError:
            counts, size, state = {}, None, "degraded"
        body = {"status": state, **{key: counts.get(key, 0) for key in HEALTH_KEYS},
                "db_size_mb": size, "version": __version__}
        return Response(ApiHealthOut(body).data,
                        status=status.HTTP_200_OK if state == "ok"
                        else status.HTTP_503_SERVICE_UNAVAILABLE)


# --- Stats ----------------------------------------------------------------------------------

StatsOut = type("StatsOut", (serializers.Serializer,),
                {key: serializers.IntegerField() for key in STATS_KEYS})


class TcgStatsOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(required=False)
    sets = serializers.IntegerField(required=False)
    cards = serializers.IntegerField(required=False)
    prices = serializers.IntegerField(required=False)


class StatsDetailedOut(serializers.Serializer):
    totals = StatsOut()
    tcgs = TcgStatsOut(many=True)


class StatsView(APIView):
    @extend_schema(tags=["stats"], summary="Platform statistics",
                   description="Totals every app reports (0 where an app has no data yet); "
                               "cached for up to a minute.",
                   responses={200: StatsOut})
    def get(self, request: Request) -> Response:
        return Response(platform_totals())


class StatsDetailedView(APIView):
    @extend_schema(tags=["stats"], summary="Detailed stats (per TCG)",
                   description="`tcgs` lists only games the catalogue (and other apps) report; "
                               "each row may carry further per-app figures.",
                   responses={200: StatsDetailedOut})
    def get(self, request: Request) -> Response:
        return Response({"totals": platform_totals(), "tcgs": platform_tcg_totals()})


class StatsPageRedirectView(APIView):
    @extend_schema(tags=["stats"], summary="Platform statistics (HTML page redirect)",
                   responses={302: OpenApiResponse(description="Location: /<lang>/stats/")})
    def get(self, request: Request) -> HttpResponseRedirect:
        language = translation.get_language_from_request(request._request)
        with translation.override(language):
            return HttpResponseRedirect(reverse("stats"))


# --- Status page ----------------------------------------------------------------------------


class StatusCheckOut(serializers.Serializer):
    target = serializers.CharField()
    status = serializers.ChoiceField(choices=ServiceStatus.choices)
    last_check = serializers.DateTimeField(source="checked_at")
    latency_ms = serializers.FloatField(allow_null=True)
    detail = serializers.CharField()


class StatusChecksOut(serializers.Serializer):
    items = StatusCheckOut(many=True)


class StatusChecksView(APIView):
    @extend_schema(tags=["status"], summary="Per-target status summary",
                   description="The latest check of each probe target. Probes run every "
                               "minute; if a target was never checked, all probes run now.",
                   responses={200: StatusChecksOut})
    def get(self, request: Request) -> Response:
        targets = list(registered_probes())
        checks: list[StatusCheck] = status_check_latest(targets=targets)
        if len(checks) < len(targets):
            status_checks_record()
            checks = status_check_latest(targets=targets)
        return Response(StatusChecksOut({"items": checks}).data)


class IncidentOut(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "target", "status", "detail", "started_at", "resolved_at"]


class IncidentListView(generics.ListAPIView):
    serializer_class = IncidentOut
    pagination_class = pagination(20, 100)

    def get_queryset(self) -> Any:
        return incident_list()

    @extend_schema(tags=["status"], summary="Recent down/degraded incidents",
                   description="Newest first; `resolved_at` is null while ongoing.")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- Platform settings ----------------------------------------------------------------------


class LanguageQuery(serializers.Serializer):
    lang = serializers.ChoiceField(choices=["en", "nl"], required=False)


class PlatformSettingsOut(serializers.Serializer):
    seller_fee_pct = serializers.FloatField()
    buyer_protection_pct = serializers.FloatField()
    min_payout_eur = serializers.FloatField()
    site_announcement = serializers.CharField(allow_null=True)


class PlatformSettingsAdminOut(PlatformSettingsOut):
    site_announcement_nl = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField()


def _percent() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)


class PlatformSettingsIn(serializers.Serializer):
    seller_fee_pct = _percent()
    buyer_protection_pct = _percent()
    min_payout_eur = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    site_announcement = serializers.CharField(max_length=500, allow_blank=True, allow_null=True,
                                              trim_whitespace=True)
    site_announcement_nl = serializers.CharField(max_length=500, allow_blank=True,
                                                 allow_null=True, trim_whitespace=True)


def _settings_public(row: PlatformSettings, language: str) -> dict[str, Any]:
    return {"seller_fee_pct": row.seller_fee_pct,
            "buyer_protection_pct": row.buyer_protection_pct,
            "min_payout_eur": row.min_payout_eur,
            "site_announcement": platform_settings_announcement(row, language)}


class PlatformSettingsView(APIView):
    def get_permissions(self) -> list:
        return [IsAdmin()] if self.request.method == "PATCH" else [AllowAny()]

    @extend_schema(tags=["platform"], summary="Public settings (fees, commission, …)",
                   parameters=[OpenApiParameter("lang", str, enum=["en", "nl"],
                                                description="Announcement language; default "
                                                            "from Accept-Language")],
                   responses={200: PlatformSettingsOut, 422: ERROR})
    def get(self, request: Request) -> Response:
        query = validate_query(LanguageQuery, request)
        language = query.get("lang") or translation.get_language() or "en"
        return Response(PlatformSettingsOut(
            _settings_public(platform_settings_get(), language)).data)

    @extend_schema(tags=["platform"], summary="Update platform settings (admin)",
                   request=PlatformSettingsIn,
                   responses={200: PlatformSettingsAdminOut, 401: ERROR, 403: ERROR,
                              422: ERROR})
    def patch(self, request: Request) -> Response:
        changes = validate_body(PlatformSettingsIn, request, partial=True)
        row = platform_settings_update(changes=changes)
        body = {**_settings_public(row, "en"),
                "site_announcement_nl": row.site_announcement_nl or None,
                "updated_at": row.updated_at}
        return Response(PlatformSettingsAdminOut(body).data)


# --- Mobile app manifest --------------------------------------------------------------------


class AppLatestQuery(serializers.Serializer):
    platform = serializers.ChoiceField(choices=AppRelease.Platform.values, required=False)


class AppReleaseOut(serializers.ModelSerializer):
    class Meta:
        model = AppRelease
        fields = ["version_name", "version_code", "min_supported", "release_notes",
                  "published_at"]


class AppLatestOut(serializers.Serializer):
    android = AppReleaseOut(allow_null=True, required=False)
    ios = AppReleaseOut(allow_null=True, required=False)


class AppLatestView(APIView):
    @extend_schema(tags=["app"], summary="Latest published mobile version",
                   description="With `platform`, only that key is returned; a platform "
                               "without a published release is null.",
                   parameters=[OpenApiParameter("platform", str,
                                                enum=AppRelease.Platform.values)],
                   responses={200: AppLatestOut, 422: ERROR})
    def get(self, request: Request) -> Response:
        query = validate_query(AppLatestQuery, request)
        platforms = [query["platform"]] if "platform" in query else AppRelease.Platform.values
        body = {}
        for platform in platforms:
            release = app_release_latest(platform=platform)
            body[platform] = AppReleaseOut(release).data if release else None
        return Response(body)
