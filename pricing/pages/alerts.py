"""Pricing pages: alerts."""

from __future__ import annotations

urlpatterns: list = []
