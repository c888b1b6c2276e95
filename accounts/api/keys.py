"""Placeholder until implemented."""

urlpatterns: list = []
