"""Pricing tasks: market caches."""

from __future__ import annotations

from celery import shared_task

__all__ = ["market_caches_warm"]


@shared_task(name="pricing.tasks.market_caches_warm", ignore_result=True,
             soft_time_limit=10 * 60, time_limit=11 * 60, expires=15 * 60)
def market_caches_warm() -> int:
    """Recompute every cached market figure (after new prices, and every 15 minutes on beat).
    Idempotent; a run that fails leaves the previous figures in place."""
    from pricing.market import market_caches_warm_all

    return market_caches_warm_all()
