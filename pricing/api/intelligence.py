"""Pricing API: intelligence (routes included by pricing/api/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
