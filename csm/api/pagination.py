"""`{"items", "total", "limit", "offset"}` lists with per-endpoint bounds."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from csm.api.validation import validate_query


class LimitOffsetPagination(BasePagination):
    """Limit/offset paging; a limit outside [1, max_limit] or a negative offset is a 422."""

    default_limit = 50
    max_limit = 200

    def _query_serializer(self) -> type[serializers.Serializer]:
        default_limit, max_limit = self.default_limit, self.max_limit

        class PageQuery(serializers.Serializer):
            limit = serializers.IntegerField(required=False, default=default_limit,
                                             min_value=1, max_value=max_limit)
            offset = serializers.IntegerField(required=False, default=0, min_value=0)

        return PageQuery

    def parse(self, request: Request) -> tuple[int, int]:
        params = validate_query(self._query_serializer(), _OnlyPaging(request))
        return params["limit"], params["offset"]

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list:
        self.limit, self.offset = self.parse(request)
        self.total = queryset.count() if hasattr(queryset, "count") and not isinstance(
            queryset, list) else len(queryset)
        return list(queryset[self.offset:self.offset + self.limit])

    def get_paginated_response(self, data: Any) -> Response:
        return Response(self.page_body(data))

    def page_body(self, data: Any) -> dict[str, Any]:
        return {"items": data, "total": self.total, "limit": self.limit, "offset": self.offset}

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["items", "total", "limit", "offset"],
            "properties": {
                "items": schema,
                "total": {"type": "integer"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "default": self.default_limit, "minimum": 1,
                        "maximum": self.max_limit}},
            {"name": "offset", "in": "query", "required": False,
             "schema": {"type": "integer", "default": 0, "minimum": 0}},
        ]


def pagination(default_limit: int = 50, max_limit: int = 200) -> type[LimitOffsetPagination]:
    """A pagination class with this endpoint's bounds (the spec gives them per endpoint)."""
    return type(f"LimitOffset{default_limit}_{max_limit}", (LimitOffsetPagination,),
                {"default_limit": default_limit, "max_limit": max_limit})


class _OnlyPaging:
    """Present only limit/offset to the paging serializer; other params belong to the view."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self.query_params = {k: v for k, v in request.query_params.items()
                             if k in ("limit", "offset")}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)
