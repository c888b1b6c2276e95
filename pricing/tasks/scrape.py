"""Pricing tasks: price source scrapes, ECB rates, the outlier guard's daily medians.

Beat (csm/settings.py CELERY_BEAT_SCHEDULE) runs each source daily. The market caches are
warmed by the prices_changed receivers after a scrape writes, not here.

An adapter that needs credentials defines a classmethod `is_configured() -> bool`; while it
answers False the scrape task skips the source (no run is recorded, so the scrapers
status probe does not count it).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.utils import timezone

from pricing import ingest
from pricing.models import ScrapeRun
from pricing.services import source_scrape_run
from pricing.sources import adapter_class, ecb
from pricing.sources.base import SourceAdapter

__all__ = ["fx_rates_fetch", "price_reference_refresh", "price_summaries_refresh",
           "source_scrape"]

logger = logging.getLogger(__name__)

SCRAPE_SOFT_LIMIT = 55 * 60
SCRAPE_HARD_LIMIT = 60 * 60
# A run that failed because the source could not be reached (connection error, timeout,
# 429/5xx after PoliteClient's own retries) is tried again later; garbage, a 4xx or a bug
# is not (the next scheduled run will tell). PoliteClient words exhausted retries so.
TRANSIENT_MARK = "failed after"
RETRY_COUNTDOWNS = (15 * 60, 60 * 60)


def _retry_later(task: Any, run: ScrapeRun) -> None:
    """Retry a transient failure on a worker, later. Not in eager mode (no broker): an
    immediate retry would only hit the failing source again at once."""
    if run_is_transient_failure(run) and not task.request.is_eager \
            and task.request.retries < task.max_retries:
        raise task.retry(countdown=RETRY_COUNTDOWNS[task.request.retries])


def source_is_configured(adapter: type[SourceAdapter]) -> bool:
    check = getattr(adapter, "is_configured", None)
    return bool(check()) if callable(check) else True


def run_is_transient_failure(run: ScrapeRun) -> bool:
    return (run.status == ScrapeRun.Status.FAILED and run.error.startswith("SourceError")
            and TRANSIENT_MARK in run.error)


def _fail_running(source: str, since: Any, error: str) -> None:
    ScrapeRun.objects.filter(source=source, status=ScrapeRun.Status.RUNNING,
                             started_at__gte=since).update(
        status=ScrapeRun.Status.FAILED, finished_at=timezone.now(), progress=100, error=error)


@shared_task(name="pricing.tasks.source_scrape", bind=True, acks_late=True,
             max_retries=len(RETRY_COUNTDOWNS), soft_time_limit=SCRAPE_SOFT_LIMIT,
             time_limit=SCRAPE_HARD_LIMIT)
def source_scrape(self: Any, source: str, **options: Any) -> int | None:
    """Scrape one source (pricing.services.source_scrape_run) and return the run's id;
    None when skipped (not configured, or a run of the source is already in progress).
    Idempotent: a second run writes the same prices again."""
    adapter = adapter_class(source)
    if not source_is_configured(adapter):
        logger.info("price source %s is not configured; skipped", source)
        return None
    lock = f"pricing:scrape-lock:{source}"
    if not cache.add(lock, str(self.request.id or "eager"), timeout=SCRAPE_HARD_LIMIT):
        logger.info("price source %s is being scraped already; skipped", source)
        return None
    started = timezone.now()
    try:
        run = source_scrape_run(source=source, **options)
    except SoftTimeLimitExceeded:
        _fail_running(source, started, "time limit exceeded")
        raise
    finally:
        cache.delete(lock)
    _retry_later(self, run)
    return run.pk


@shared_task(name="pricing.tasks.fx_rates_fetch", bind=True, acks_late=True,
             max_retries=len(RETRY_COUNTDOWNS), soft_time_limit=5 * 60, time_limit=6 * 60)
def fx_rates_fetch(self: Any, history: bool | None = None) -> int:
    """Store the ECB reference rates (the 90-day file when `history`, or by default when
    the stored rates have a gap). Returns the run's id."""
    started = timezone.now()
    try:
        run = ecb.fx_rates_fetch(history=history)
    except SoftTimeLimitExceeded:
        _fail_running(ecb.SOURCE, started, "time limit exceeded")
        raise
    _retry_later(self, run)
    return run.pk


@shared_task(name="pricing.tasks.price_reference_refresh", acks_late=True,
             soft_time_limit=20 * 60, time_limit=25 * 60)
def price_reference_refresh() -> int:
    """Daily: recompute every price's rolling median (the outlier guard's reference)."""
    return ingest.price_reference_refresh()


@shared_task(name="pricing.tasks.price_summaries_refresh", acks_late=True,
             soft_time_limit=20 * 60, time_limit=25 * 60)
def price_summaries_refresh() -> str:
    """Daily: every priced card's reference series, best price and 7-day change (the 90-day
    window behind the reference choice moves even for cards without new prices)."""
    from pricing.summaries import price_summaries_refresh as refresh
    from pricing.summaries import priced_ids

    card_ids, sealed_ids = priced_ids()
    return refresh(card_ids=card_ids, sealed_ids=sealed_ids).summary()
