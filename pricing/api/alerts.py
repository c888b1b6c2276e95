"""Price alerts API: /alerts, /alerts/{alert_id}, /alerts/digest-now, /api/alerts/unread-count
and the triggered-alert notifications /api/notifications[/…] (the unified feed lives in
messaging.api, routed first).
"""

from __future__ import annotations

import math
from typing import Any

from django.urls import re_path
from django.utils import translation
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.serializers import id_field, money_field, page_of
from csm.api.fields import StrictCharField
from csm.api.pagination import pagination
from csm.api.permissions import IsAuthenticated
from csm.api.validation import validate_body
from pricing import alerts as service
from pricing.alerts import MAX_TARGET
from pricing.digest import alert_digest_send
from pricing.models import PriceAlert

TAGS = ["Price alerts"]
UNAUTHENTICATED = OpenApiResponse(description="Missing or invalid session / API key")
ALERT_NOT_FOUND = OpenApiResponse(description='`{"detail": "Alert not found"}`')
NOTIFICATION_NOT_FOUND = OpenApiResponse(
    description='`{"detail": "Notification not found"}` (not your alert, or not triggered)')
MISSING = OpenApiResponse(
    description='Body not a JSON object or a required field missing: '
                '`{"detail": "card_id, target_price required"}`')
INVALID = OpenApiResponse(description="Field validation errors (`loc`, `msg`, `type`), e.g. "
                                      "target_price ≤ 0 or an unsupported currency")
ID = r"\d{1,18}"


# --- Input ------------------------------------------------------------------------------------


class FloatField(serializers.FloatField):
    """A finite JSON number (or numeric string); `true`/`false`, NaN and infinities are not
    prices. (Keeps DRF's class name: the 422 `type` is looked up by it.)"""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class AlertCreateIn(serializers.Serializer):
    card_id = id_field()
    target_price = FloatField(max_value=float(MAX_TARGET),
                                    help_text="Greater than 0, in `currency`; rounded to cents.")
    condition = serializers.ChoiceField(choices=PriceAlert.Direction.values,
                                        default=PriceAlert.Direction.BELOW,
                                        help_text="`below`: tell me when a price is at or under "
                                                  "the target; `above`: at or over it.")
    currency = StrictCharField(default="EUR", min_length=3, max_length=3,
                               help_text="ISO 4217; EUR, a currency with an ECB reference rate, "
                                         "or one prices are held in.")


# --- Output -----------------------------------------------------------------------------------


class AlertOut(serializers.ModelSerializer):
    card_name = serializers.CharField(source="card.name")
    target_price = money_field()
    triggered_price = money_field(help_text="The price (in `currency`) that triggered it.")
    triggered_source = serializers.CharField(
        help_text="The price source whose price triggered it; empty until triggered.")

    class Meta:
        model = PriceAlert
        fields = ["id", "card_id", "card_name", "target_price", "condition", "currency",
                  "is_active", "triggered_at", "triggered_price", "triggered_source",
                  "created_at"]
        read_only_fields = fields


class AlertNotificationOut(AlertOut):
    is_read = serializers.SerializerMethodField()

    class Meta(AlertOut.Meta):
        fields = [*AlertOut.Meta.fields, "is_read", "read_at"]
        read_only_fields = fields

    def get_is_read(self, alert: PriceAlert) -> bool:
        return alert.read_at is not None


class AlertCountOut(serializers.Serializer):
    count = serializers.IntegerField()


class AlertsMarkedOut(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread.")


class DigestNowOut(serializers.Serializer):
    sent = serializers.BooleanField(help_text="Whether an email was sent.")
    alerts = serializers.IntegerField(help_text="Triggered alerts the email listed.")
    reason = serializers.CharField(allow_null=True,
                                   help_text="Why nothing was sent: `no_email` or "
                                             "`nothing_pending`; null when sent.")


AlertPage = pagination(100, 500)
NotificationPage = pagination(50, 200)


def _page(request: Request, paginator_class: type, items: Any,
          serializer: type[serializers.Serializer]) -> Response:
    paginator = paginator_class()
    page = paginator.paginate_queryset(items, request)
    return paginator.get_paginated_response(serializer(page, many=True).data)


# --- Views ------------------------------------------------------------------------------------


class AlertListCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="List my alerts", operation_id="alerts_list",
                   description="Newest first, active and triggered.",
                   responses={200: page_of(AlertOut, "AlertPage"), 401: UNAUTHENTICATED,
                              422: INVALID})
    def get(self, request: Request) -> Response:
        return _page(request, AlertPage, service.alert_list(user=request.user), AlertOut)

    @extend_schema(tags=TAGS, summary="Create an alert", operation_id="alerts_create",
                   request=AlertCreateIn,
                   responses={201: AlertOut, 400: MISSING, 401: UNAUTHENTICATED,
                              404: OpenApiResponse(description='`{"detail": "Card not found"}`'),
                              409: OpenApiResponse(
                                  description='`{"detail": "Alert already exists"}`: the same '
                                              'active alert (card, direction, target, '
                                              'currency)'),
                              422: INVALID})
    def post(self, request: Request) -> Response:
        data = validate_body(AlertCreateIn, request)
        alert = service.alert_create(user=request.user, card_id=data["card_id"],
                                     target_price=data["target_price"],
                                     condition=data["condition"], currency=data["currency"])
        return Response(AlertOut(alert).data, status=status.HTTP_201_CREATED)


class AlertDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Delete an alert", operation_id="alerts_delete",
                   request=None,
                   responses={204: OpenApiResponse(description="Deleted"),
                              401: UNAUTHENTICATED, 404: ALERT_NOT_FOUND})
    def delete(self, request: Request, alert_id: str) -> Response:
        service.alert_delete(user=request.user, alert_id=int(alert_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertDigestNowView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Send the digest email immediately",
                   operation_id="alerts_digest_now", request=None,
                   description="Emails your triggered alerts not yet emailed (whether or not "
                               "you opted in to the daily digest), in the request's language.",
                   responses={200: DigestNowOut, 401: UNAUTHENTICATED})
    def post(self, request: Request) -> Response:
        user = request.user
        count = alert_digest_send(user=user, force=True, language=translation.get_language())
        reason = None if count else ("no_email" if not user.email else "nothing_pending")
        return Response({"sent": count > 0, "alerts": count, "reason": reason})


class AlertUnreadCountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Unread triggered alerts badge count",
                   operation_id="alerts_unread_count",
                   responses={200: AlertCountOut, 401: UNAUTHENTICATED})
    def get(self, request: Request) -> Response:
        return Response({"count": service.alert_unread_count(user=request.user)})


class AlertNotificationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["Notifications"], summary="Triggered alerts only",
                   operation_id="notifications_alerts_list",
                   description="Your triggered alerts, newest trigger first, with `is_read`.",
                   responses={200: page_of(AlertNotificationOut, "AlertNotificationPage"),
                              401: UNAUTHENTICATED, 422: INVALID})
    def get(self, request: Request) -> Response:
        return _page(request, NotificationPage, service.alert_triggered_list(user=request.user),
                     AlertNotificationOut)


class AlertNotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["Notifications"], summary="Mark a triggered alert read",
                   operation_id="notifications_alert_read", request=None,
                   description="Also marks its item in the unified feed read.",
                   responses={200: AlertNotificationOut, 401: UNAUTHENTICATED,
                              404: NOTIFICATION_NOT_FOUND})
    def post(self, request: Request, alert_id: str) -> Response:
        alert = service.alert_mark_read(user=request.user, alert_id=int(alert_id))
        return Response(AlertNotificationOut(alert).data)


class AlertNotificationReadAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["Notifications"], summary="Mark all triggered alerts read",
                   operation_id="notifications_alerts_read_all", request=None,
                   description="Also marks their items in the unified feed read.",
                   responses={200: AlertsMarkedOut, 401: UNAUTHENTICATED})
    def post(self, request: Request) -> Response:
        return Response({"marked": service.alerts_mark_read(user=request.user)})


urlpatterns = [
    re_path(r"^alerts/?$", AlertListCreateView.as_view(), name="api-alerts"),
    re_path(r"^alerts/digest-now/?$", AlertDigestNowView.as_view(), name="api-alerts-digest"),
    re_path(rf"^alerts/(?P<alert_id>{ID})/?$", AlertDetailView.as_view(), name="api-alert"),
    re_path(r"^api/alerts/unread-count/?$", AlertUnreadCountView.as_view(),
            name="api-alerts-unread-count"),
    re_path(r"^api/notifications/?$", AlertNotificationListView.as_view(),
            name="api-notifications"),
    re_path(r"^api/notifications/read-all/?$", AlertNotificationReadAllView.as_view(),
            name="api-notifications-read-all"),
    re_path(rf"^api/notifications/(?P<alert_id>{ID})/read/?$",
            AlertNotificationReadView.as_view(), name="api-notification-read"),
]
