"""Pricing tasks: the market-wide trending predictions cache."""

from __future__ import annotations

from celery import shared_task

from pricing.predictions import trending_refresh

__all__ = ["predictions_refresh"]


@shared_task(name="pricing.tasks.predictions_refresh", acks_late=True,
             autoretry_for=(Exception,), retry_backoff=True, max_retries=3,
             soft_time_limit=15 * 60, time_limit=20 * 60)
def predictions_refresh() -> int:
    """Recompute every card's forecast and replace the cached trending list (idempotent).
    Run after each scrape and daily. Returns the number of rising cards."""
    return trending_refresh()["total"]
