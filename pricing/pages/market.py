"""Pricing pages: market."""

from __future__ import annotations

urlpatterns: list = []
