"""Typed access to environment variables.

Every setting has a safe default; a value that is present but cannot be parsed raises
ImproperlyConfigured at start-up instead of silently falling back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse(name: str, default: T, parser: Callable[[str], T]) -> T:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return parser(raw.strip())
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is invalid: {exc}") from exc


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def _list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_str(name: str, default: str = "") -> str:
    return _parse(name, default, str)


def env_bool(name: str, default: bool = False) -> bool:
    return _parse(name, default, _bool)


def env_int(name: str, default: int) -> int:
    return _parse(name, default, int)


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    return _parse(name, list(default or []), _list)
