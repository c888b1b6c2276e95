"""Pricing API routes, included at the URL root before the catalogue's `/{tcg_slug}/…`."""

from django.urls import include, path

urlpatterns = [
    path("", include("pricing.api.prices")),
    path("", include("pricing.api.market")),
    path("", include("pricing.api.intelligence")),
    path("", include("pricing.api.alerts")),
    path("", include("pricing.api.predictions")),
]
