"""Validating fields of a source object; a bad value raises RowError (reported, not stored)."""

from __future__ import annotations

from typing import Any

from catalogue.importers.base import RowError


def text_field(obj: dict[str, Any], key: str, *, max_length: int, required: bool = False) -> str:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise RowError(f"missing {key}")
        return ""
    if not isinstance(value, str):
        raise RowError(f"{key} is {type(value).__name__}, not a string")
    value = value.strip()
    if required and not value:
        raise RowError(f"missing {key}")
    if len(value) > max_length:
        raise RowError(f"{key} is longer than {max_length} characters")
    return value


def mapping_field(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RowError(f"{key} is {type(value).__name__}, not an object")
    return value


def count_field(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RowError(f"{key} is not a count: {value!r}")
    return value
