"""Catalogue pages (placeholder until implemented)."""

urlpatterns: list = []
