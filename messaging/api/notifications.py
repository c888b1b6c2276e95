"""The unified notification feed: /api/notifications/feed[/unread-count|/{item_id}/read|
/read-all]. Alert triggers now; messages, bids and listing events as they arrive."""

from __future__ import annotations

from django.urls import re_path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.serializers import page_of
from csm.api.pagination import pagination
from csm.api.permissions import IsAuthenticated
from messaging.models import Notification
from messaging.selectors import notification_list, notification_unread_counts
from messaging.services import notification_mark_all_read, notification_mark_read

TAGS = ["Notifications"]
UNAUTHENTICATED = OpenApiResponse(description="Missing or invalid session / API key")
INVALID = OpenApiResponse(description="Query validation errors (`loc`, `msg`, `type`)")
ID = r"\d{1,18}"


class NotificationOut(serializers.ModelSerializer):
    # A plain string in the schema: an enum component named "kind" would collide with the
    # sealed products' `kind`.
    kind = serializers.CharField(help_text=" | ".join(Notification.Kind.values))
    data = serializers.JSONField(help_text='Per kind, e.g. `{"card_id", "alert_id"}` for '
                                           "`alert_triggered`.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "data", "is_read", "created_at"]
        read_only_fields = fields


class FeedUnreadCountOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="Unread items of every kind.")
    by_kind = serializers.DictField(child=serializers.IntegerField(),
                                    help_text="Unread items per kind (kinds with none are "
                                              "left out).")


class FeedMarkedOut(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread.")


FeedPage = pagination(50, 200)


class FeedView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Unified notification feed",
                   operation_id="notifications_feed", description="Newest first.",
                   responses={200: page_of(NotificationOut, "NotificationPage"),
                              401: UNAUTHENTICATED, 422: INVALID})
    def get(self, request: Request) -> Response:
        paginator = FeedPage()
        page = paginator.paginate_queryset(notification_list(user=request.user), request)
        return paginator.get_paginated_response(NotificationOut(page, many=True).data)


class FeedUnreadCountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Unified badge count",
                   operation_id="notifications_feed_unread_count",
                   responses={200: FeedUnreadCountOut, 401: UNAUTHENTICATED})
    def get(self, request: Request) -> Response:
        by_kind = notification_unread_counts(user=request.user)
        return Response({"count": sum(by_kind.values()), "by_kind": by_kind})


class FeedItemReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Mark one item read",
                   operation_id="notifications_feed_read", request=None,
                   description="An `alert_triggered` item also marks its alert read.",
                   responses={200: NotificationOut, 401: UNAUTHENTICATED,
                              404: OpenApiResponse(
                                  description='`{"detail": "Notification not found"}`')})
    def post(self, request: Request, item_id: str) -> Response:
        item = notification_mark_read(user=request.user, notification_id=int(item_id))
        return Response(NotificationOut(item).data)


class FeedReadAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Mark all read",
                   operation_id="notifications_feed_read_all", request=None,
                   description="Triggered alerts are marked read too.",
                   responses={200: FeedMarkedOut, 401: UNAUTHENTICATED})
    def post(self, request: Request) -> Response:
        return Response({"marked": notification_mark_all_read(user=request.user)})


urlpatterns = [
    re_path(r"^api/notifications/feed/?$", FeedView.as_view(), name="api-notifications-feed"),
    re_path(r"^api/notifications/feed/unread-count/?$", FeedUnreadCountView.as_view(),
            name="api-notifications-feed-unread-count"),
    re_path(r"^api/notifications/feed/read-all/?$", FeedReadAllView.as_view(),
            name="api-notifications-feed-read-all"),
    re_path(rf"^api/notifications/feed/(?P<item_id>{ID})/read/?$", FeedItemReadView.as_view(),
            name="api-notifications-feed-read"),
]
