"""Catalogue API routes (placeholder until implemented)."""

urlpatterns: list = []
