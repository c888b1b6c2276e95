"""Pricing pages (localised): Market Radar (`pricing:market-radar`) and alerts
(`pricing:alerts`)."""

from django.urls import include, path

app_name = "pricing"

urlpatterns = [
    path("", include("pricing.pages.market")),
    path("", include("pricing.pages.alerts")),
]
