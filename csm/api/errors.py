"""The contract's error shapes.

`{"detail": "message"}` for every error, and for field validation (422) a FastAPI-style list:
`{"detail": [{"loc": ["query", "limit"], "msg": "...", "type": "..."}]}`. DRF error codes are
mapped onto the pydantic-v1 messages and types the spec's examples use.
"""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException

# DRF error code -> (pydantic type, message template). Templates see the field's limits.
_CODE_MAP: dict[str, tuple[str, str]] = {
    "required": ("value_error.missing", "field required"),
    "null": ("type_error.none.not_allowed", "none is not an allowed value"),
    "blank": ("value_error.any_str.min_length", "ensure this value has at least 1 characters"),
    "invalid": ("value_error", "invalid value"),
    "not_a_string": ("type_error.str", "str type expected"),
    "max_value": ("value_error.number.not_le",
                  "ensure this value is less than or equal to {max_value}"),
    "min_value": ("value_error.number.not_ge",
                  "ensure this value is greater than or equal to {min_value}"),
    "max_length": ("value_error.any_str.max_length",
                   "ensure this value has at most {max_length} characters"),
    "min_length": ("value_error.any_str.min_length",
                   "ensure this value has at least {min_length} characters"),
    "invalid_choice": ("type_error.enum", "value is not a valid enumeration member"),
    "not_a_list": ("type_error.list", "value is not a valid list"),
    "max_digits": ("value_error.decimal.max_digits",
                   "ensure that there are no more than {max_digits} digits in total"),
    "max_decimal_places": ("value_error.decimal.max_places",
                           "ensure that there are no more than {max_decimal_places} decimal "
                           "places"),
    "date": ("type_error.date", "invalid date format"),
    "datetime": ("type_error.datetime", "invalid datetime format"),
}
_TYPE_BY_FIELD = {
    "IntegerField": ("type_error.integer", "value is not a valid integer"),
    "FloatField": ("type_error.float", "value is not a valid float"),
    "DecimalField": ("type_error.decimal", "value is not a valid decimal"),
    "BooleanField": ("type_error.bool", "value could not be parsed to a boolean"),
    "DateField": ("type_error.date", "invalid date format"),
    "DateTimeField": ("type_error.datetime", "invalid datetime format"),
    "EmailField": ("value_error.email", "value is not a valid email address"),
    "DictField": ("type_error.dict", "value is not a valid dict"),
    "JSONField": ("type_error.dict", "value is not a valid dict"),
}


class UnprocessableEntity(APIException):
    """422 with a list of `{loc, msg, type}` items as the detail."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Unprocessable entity"
    default_code = "unprocessable_entity"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(detail="Unprocessable entity")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict"
    default_code = "conflict"


class BadRequest(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request"
    default_code = "bad_request"


def error_item(loc: list[str | int], msg: str, type_: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": type_}


def field_error_items(
    source: str, errors: Any, fields: dict[str, Any] | None = None, prefix: tuple = ()
) -> list[dict[str, Any]]:
    """Flatten DRF `ErrorDetail` structures into pydantic-style items under `source`."""
    items: list[dict[str, Any]] = []
    if isinstance(errors, dict):
        for name, sub in errors.items():
            loc = (*prefix, name) if name != "non_field_errors" else prefix
            field = (fields or {}).get(name)
            child_fields = getattr(field, "fields", None)
            items.extend(field_error_items(source, sub, child_fields, loc) if isinstance(sub, dict)
                         else _leaf_items(source, loc, sub, field))
    else:
        items.extend(_leaf_items(source, prefix, errors, None))
    return items


def _leaf_items(source: str, loc: tuple, errors: Any, field: Any) -> list[dict[str, Any]]:
    out = []
    for err in errors if isinstance(errors, list) else [errors]:
        if isinstance(err, dict):
            out.extend(field_error_items(source, err, None, loc))
            continue
        code = getattr(err, "code", "invalid")
        type_, msg = _CODE_MAP.get(code, ("value_error", str(err)))
        if code == "invalid" and field is not None:
            type_, msg = _TYPE_BY_FIELD.get(type(field).__name__, ("value_error", str(err)))
            if type_ == "value_error":
                msg = str(err)
        if "{" in msg and field is not None:
            limits = {k: getattr(field, k, None) for k in
                      ("max_value", "min_value", "max_length", "min_length", "max_digits",
                       "max_decimal_places")}
            try:
                msg = msg.format(**limits)
            except (KeyError, IndexError):
                msg = str(err)
        elif "{" in msg:
            msg = str(err)
        out.append(error_item([source, *loc], msg, type_))
    return out
