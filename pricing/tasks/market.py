"""Pricing tasks: market caches."""

from __future__ import annotations

from celery import shared_task

__all__ = ["market_caches_warm"]

COVERAGE_EVERY = 3600  # seconds


@shared_task(name="pricing.tasks.market_caches_warm", ignore_result=True,
             soft_time_limit=10 * 60, time_limit=11 * 60, expires=15 * 60)
def market_caches_warm() -> int:
    """Recompute every cached market figure (after new prices, and every 15 minutes on beat).
    Idempotent; a run that fails leaves the previous figures in place."""
    from django.core.cache import cache

    from pricing.intelligence import coverage_refresh
    from pricing.market import market_caches_warm_all

    warmed = market_caches_warm_all()
    # Price-intelligence coverage counts scan the whole book (seconds at 2M rows): at most
    # hourly; responses say how old they are.
    if cache.add("pricing:coverage-refreshed", 1, COVERAGE_EVERY):
        coverage_refresh()
    return warmed
