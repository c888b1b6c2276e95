"""API keys and the developer portal: /api/keys/, /api/keys/{key_id}, /api/developer/*.

The raw key exists only in the response to a create; the database keeps its sha256.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiKey, User
from accounts.quotas import used_today, used_today_many
from accounts.selectors import api_key_active_count, api_key_list
from accounts.services import api_key_create, api_key_rename, api_key_revoke
from accounts.tiers import TIERS, TierSlug
from csm.api.permissions import IsAuthenticated
from csm.api.validation import validate_body

TAGS = ["API keys"]
UNAUTHENTICATED = OpenApiResponse(description="Missing or invalid session / API key")
NOT_FOUND = OpenApiResponse(description='`{"detail": "API key not found"}`')
MISSING = OpenApiResponse(description='A required field is missing: `{"detail": "name required"}`')
INVALID = OpenApiResponse(description="Field validation errors (`loc`, `msg`, `type`)")
REFUSED = OpenApiResponse(
    description="Too many active keys for the tier, or a key tier above the subscription")


# --- Input ------------------------------------------------------------------------------------


class ApiKeyCreateIn(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=100)
    tier = serializers.ChoiceField(choices=TierSlug.choices, required=False,
                                   help_text="Defaults to your subscription tier.")
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value: Any) -> Any:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("expires_at must be in the future",
                                              code="not_in_future")
        return value


class ApiKeyRenameIn(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=100)


class DeveloperKeyIn(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=100, required=False,
                                 default="default")


# --- Output -----------------------------------------------------------------------------------

ITEM_FIELDS = ["id", "name", "prefix", "tier", "is_active", "daily_limit",
               "rate_limit_per_minute", "calls_today", "last_used_at", "created_at",
               "expires_at"]


class ApiKeyOut(serializers.ModelSerializer):
    calls_today = serializers.SerializerMethodField(help_text="Requests counted today (UTC).")

    class Meta:
        model = ApiKey
        fields = ITEM_FIELDS
        read_only_fields = ITEM_FIELDS

    def get_calls_today(self, key: ApiKey) -> int:
        counts = self.context.get("calls_today")
        if counts is not None and key.quota_bucket in counts:
            return counts[key.quota_bucket]
        return used_today(key.quota_bucket)


class ApiKeyCreatedOut(ApiKeyOut):
    key = serializers.SerializerMethodField(
        help_text="The full key. Returned only by this response: store it now.")

    class Meta(ApiKeyOut.Meta):
        fields = ["id", "name", "key", *ITEM_FIELDS[2:]]
        read_only_fields = fields

    def get_key(self, key: ApiKey) -> str:
        return self.context["raw_key"]


class ApiKeyListOut(serializers.Serializer):
    items = ApiKeyOut(many=True)


class TierLimitsOut(serializers.Serializer):
    requests_per_day = serializers.IntegerField(allow_null=True)
    requests_per_minute = serializers.IntegerField(allow_null=True)
    max_keys = serializers.IntegerField(allow_null=True)
    recognitions_per_day = serializers.IntegerField(allow_null=True)


class TierOut(TierLimitsOut):
    slug = serializers.CharField()
    name = serializers.CharField(source="label")
    price_eur_month = serializers.DecimalField(max_digits=8, decimal_places=2)


class DeveloperInfoOut(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    tier = serializers.ChoiceField(choices=TierSlug.choices)
    limits = TierLimitsOut(help_text="Limits of your subscription tier; null means unlimited.")
    active_keys = serializers.IntegerField()
    calls_today = serializers.IntegerField(help_text="Requests counted today over active keys.")
    tiers = TierOut(many=True)


# --- Views ------------------------------------------------------------------------------------


def _created(key: ApiKey, raw: str) -> Response:
    body = ApiKeyCreatedOut(key, context={"raw_key": raw}).data
    return Response(body, status=status.HTTP_201_CREATED)


def _own_key(user: User, key_id: int) -> ApiKey:
    key = api_key_list(user=user).filter(pk=key_id).first()
    if key is None:
        raise NotFound("API key not found")
    return key


class ApiKeyListCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="List my API keys", operation_id="api_keys_list",
                   responses={200: ApiKeyListOut, 401: UNAUTHENTICATED})
    def get(self, request: Request) -> Response:
        keys = api_key_list(user=request.user)
        keys = list(keys)
        counts = used_today_many([key.quota_bucket for key in keys])
        return Response({"items": ApiKeyOut(keys, many=True,
                                            context={"calls_today": counts}).data})

    @extend_schema(tags=TAGS, summary="Create a new API key", operation_id="api_keys_create",
                   request=ApiKeyCreateIn,
                   responses={201: ApiKeyCreatedOut, 400: MISSING, 401: UNAUTHENTICATED,
                              403: REFUSED, 422: INVALID})
    def post(self, request: Request) -> Response:
        data = validate_body(ApiKeyCreateIn, request)
        key, raw = api_key_create(user=request.user, **data)
        return _created(key, raw)


class ApiKeyDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Rename a key", operation_id="api_keys_rename",
                   request=ApiKeyRenameIn,
                   responses={200: ApiKeyOut, 400: MISSING, 401: UNAUTHENTICATED,
                              404: NOT_FOUND, 422: INVALID})
    def patch(self, request: Request, key_id: int) -> Response:
        key = _own_key(request.user, key_id)
        data = validate_body(ApiKeyRenameIn, request)
        key = api_key_rename(key=key, name=data["name"])
        return Response(ApiKeyOut(key).data)

    @extend_schema(tags=TAGS, summary="Revoke a key", operation_id="api_keys_revoke",
                   request=None,
                   responses={204: OpenApiResponse(description="Revoked"),
                              401: UNAUTHENTICATED, 404: NOT_FOUND})
    def delete(self, request: Request, key_id: int) -> Response:
        api_key_revoke(key=_own_key(request.user, key_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeveloperInfoView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Developer profile + tier",
                   operation_id="developer_info",
                   responses={200: DeveloperInfoOut, 401: UNAUTHENTICATED})
    def get(self, request: Request) -> Response:
        user = request.user
        tier = TIERS[user.tier]
        active = api_key_list(user=user).filter(is_active=True).only("pk")
        info = {
            "user_id": user.pk,
            "username": user.username,
            "tier": tier.slug,
            "limits": tier,
            "active_keys": api_key_active_count(user=user),
            "calls_today": sum(used_today_many([key.quota_bucket for key in active]).values()),
            "tiers": list(TIERS.values()),
        }
        return Response(DeveloperInfoOut(info).data)


class DeveloperKeyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Generate a key (developer-portal flow)",
                   operation_id="developer_key_create", request=DeveloperKeyIn,
                   responses={201: ApiKeyCreatedOut, 401: UNAUTHENTICATED, 403: REFUSED,
                              422: INVALID})
    def post(self, request: Request) -> Response:
        data = validate_body(DeveloperKeyIn, request)
        key, raw = api_key_create(user=request.user, name=data["name"])
        return _created(key, raw)


def _routes(route: str, view: type[APIView], name: str) -> list[URLPattern]:
    """`route` as the contract spells it, plus its twin with/without the trailing slash.

    The twin is left out of the OpenAPI document so each endpoint is listed once.
    """
    twin_route = route[:-1] if route.endswith("/") else f"{route}/"
    twin = type(f"{view.__name__}Alias", (view,), {"schema": None})
    return [path(route, view.as_view(), name=name), path(twin_route, twin.as_view())]


urlpatterns = [
    *_routes("api/keys/", ApiKeyListCreateView, "api-keys"),
    *_routes("api/keys/<int:key_id>", ApiKeyDetailView, "api-key-detail"),
    *_routes("api/developer/info", DeveloperInfoView, "api-developer-info"),
    *_routes("api/developer/key", DeveloperKeyView, "api-developer-key"),
]
