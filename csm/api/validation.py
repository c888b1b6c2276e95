"""Input parsing for API views: query strings and JSON bodies, in the contract's shapes.

- Query parameters that fail validation -> 422 with `loc: ["query", name]`.
- A body that is not a JSON object, or misses a required field -> 400 `{"detail": "..."}`.
- A body field of the wrong type or out of range -> 422 with `loc: ["body", name]`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from csm.api.errors import BadRequest, UnprocessableEntity, field_error_items


def validate_query(serializer_class: type[serializers.Serializer], request: Request,
                   **context: Any) -> dict[str, Any]:
    data = {key: request.query_params.get(key) for key in request.query_params}
    serializer = serializer_class(data=data, context={"request": request, **context})
    if not serializer.is_valid():
        raise UnprocessableEntity(field_error_items("query", serializer.errors, serializer.fields))
    return dict(serializer.validated_data)


def validate_body(serializer_class: type[serializers.Serializer], request: Request,
                  *, partial: bool = False, missing_message: str | None = None,
                  **context: Any) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict) and not hasattr(data, "getlist"):
        raise BadRequest("Request body must be a JSON object")
    serializer = serializer_class(data=data, partial=partial,
                                  context={"request": request, **context})
    if not serializer.is_valid():
        errors = serializer.errors
        missing = [name for name, errs in errors.items()
                   if isinstance(errs, list)
                   and any(getattr(e, "code", None) in ("required", "null", "blank") for e in errs)]
        if missing:
            raise BadRequest(missing_message or f"{', '.join(missing)} required")
        raise UnprocessableEntity(field_error_items("body", errors, serializer.fields))
    return dict(serializer.validated_data)


def validate_page_and_query(request: Request, *, page: type | None = None,
                            query: type[serializers.Serializer] | None = None
                            ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Paging (`page`: a csm.api.pagination class) and filters checked together, so one
    422 can list every bad parameter. Returns the valid values and the error items; the
    caller adds its own checks and raises UnprocessableEntity when there are errors."""
    errors: list[dict[str, Any]] = []
    params: dict[str, Any] = {}
    if page is not None:
        try:
            params["limit"], params["offset"] = page().parse(request)
        except UnprocessableEntity as exc:
            errors.extend(exc.errors)
    if query is not None:
        try:
            params.update(validate_query(query, request))
        except UnprocessableEntity as exc:
            errors.extend(exc.errors)
    return params, errors
