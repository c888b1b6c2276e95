"""API authentication: API keys (three ways to pass them) and the session cookie."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import KEY_PREFIX, ApiKey
from accounts.selectors import api_key_get_by_raw
from csm.api.origin import cross_origin_reason

LAST_USED_RESOLUTION = timedelta(minutes=1)


def raw_key_from(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer":
            return token.strip()
    return request.headers.get("X-API-Key") or request.query_params.get("api_key") or None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer csm_…`, `X-API-Key: csm_…` or `?api_key=csm_…`."""

    def authenticate(self, request: Request) -> tuple[object, ApiKey] | None:
        raw = raw_key_from(request)
        if raw is None:
            return None
        if not raw.startswith(KEY_PREFIX) or len(raw) > 128:
            raise exceptions.AuthenticationFailed("Invalid API key")
        key = api_key_get_by_raw(raw)
        if key is None or not key.is_active:
            raise exceptions.AuthenticationFailed("Invalid API key")
        now = timezone.now()
        if key.is_expired(now):
            raise exceptions.AuthenticationFailed("API key expired")
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted")
        if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
            # At most one write per key per minute; the conditional update makes
            # concurrent requests skip it instead of queueing on the row.
            ApiKey.objects.filter(pk=key.pk, last_used_at=key.last_used_at).update(
                last_used_at=now)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class CookieSessionAuthentication(authentication.SessionAuthentication):
    """The `tcg_session` cookie; cross-origin browser writes are refused (see csm.api.origin)."""

    def enforce_csrf(self, request: Request) -> None:
        reason = cross_origin_reason(request)
        if reason:
            raise exceptions.PermissionDenied(f"CSRF check failed: {reason}")

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """OpenAPI: any one of the three ways to pass a key."""

    target_class = ApiKeyAuthentication
    name = ["bearerKey", "apiKeyHeader", "apiKeyQuery"]

    def get_security_requirement(self, auto_schema: object) -> list[dict[str, list]]:
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema: object) -> list[dict[str, str]]:
        return [
            {"type": "http", "scheme": "bearer", "bearerFormat": "csm_…"},
            {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            {"type": "apiKey", "in": "query", "name": "api_key"},
        ]


class CookieSessionScheme(SessionScheme):
    """OpenAPI: the tcg_session cookie."""

    target_class = CookieSessionAuthentication
