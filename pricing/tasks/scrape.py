"""Pricing tasks: scrape."""

from __future__ import annotations

__all__: list[str] = []
