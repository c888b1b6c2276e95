"""Market intelligence and its caches. Being written (issue 4)."""

from __future__ import annotations


def market_caches_refresh() -> None:
    return None
