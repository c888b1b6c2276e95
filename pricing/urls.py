"""Pricing pages (localised): Market Radar, alerts."""

from __future__ import annotations

urlpatterns: list = []
