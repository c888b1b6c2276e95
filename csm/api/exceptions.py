"""DRF exception handler producing the contract's error shapes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from csm.api.errors import UnprocessableEntity, field_error_items


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else "Not found")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's handler500 answers with JSON

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    status_code = exc.status_code

    if isinstance(exc, UnprocessableEntity):
        body: dict[str, Any] = {"detail": exc.errors}
    elif isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        headers["Retry-After"] = str(wait)
        body = {"detail": f"Rate limit exceeded. Retry after {wait} seconds."}
    elif isinstance(exc, exceptions.ValidationError):
        # A serializer that was not run through validate_body(): still the 422 shape.
        status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        body = {"detail": field_error_items("body", exc.detail)}
    elif isinstance(exc, exceptions.ParseError):
        body = {"detail": f"Invalid JSON body: {exc.detail}"}
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        status_code = status.HTTP_400_BAD_REQUEST
        body = {"detail": f"Unsupported content type {exc.detail!s}; send application/json"}
    elif isinstance(exc, exceptions.NotAuthenticated):
        body = {"detail": "Not authenticated"}
    else:
        detail = exc.detail
        if isinstance(detail, (list, dict)):
            detail = exceptions.ErrorDetail(str(detail))
        body = {"detail": str(detail)}

    set_rollback()
    return Response(body, status=status_code, headers=headers)
