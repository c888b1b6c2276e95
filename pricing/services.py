"""Pricing writes: scrape runs, raw listings, history imports."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from csm.http import SourceError
from pricing.ingest import IngestResult, prices_ingest, refs_resolve
from pricing.models import ScrapeRun, SourceListing
from pricing.sources import adapter_class
from pricing.sources.base import Listing, Progress, ScrapeBatch


def scrape_run_start(*, source: str) -> ScrapeRun:
    return ScrapeRun.objects.create(source=source)


def scrape_run_progress(*, run: ScrapeRun, done: int, total: int) -> None:
    percent = min(99, int(done * 100 / total)) if total else 0
    if percent != run.progress:
        run.progress = percent
        ScrapeRun.objects.filter(pk=run.pk).update(progress=percent)


def scrape_run_finish(*, run: ScrapeRun, result: IngestResult | None = None,
                      fetched: int = 0, invalid: int = 0, error: str = "") -> ScrapeRun:
    run.finished_at = timezone.now()
    run.progress = 100
    run.fetched = fetched
    if error:
        run.status = ScrapeRun.Status.FAILED
        run.error = error[:4000]
    if result is not None:
        run.written = result.written
        run.unmatched = result.unmatched
        run.invalid = invalid + result.invalid
        run.outliers = result.outliers
        if not error:
            run.status = ScrapeRun.Status.PARTIAL if run.invalid else ScrapeRun.Status.OK
            if result.errors:
                run.error = "\n".join(result.errors)[:4000]
    run.save()
    return run


def source_scrape_run(*, source: str, progress: Progress | None = None,
                      **options: Any) -> ScrapeRun:
    """Scrape one source and write what it returned. A source failure (SourceError, or a
    parser choking on garbage) is recorded on the run and writes nothing."""
    run = scrape_run_start(source=source)

    def report(done: int, total: int) -> None:
        scrape_run_progress(run=run, done=done, total=total)
        if progress is not None:
            progress(done, total)

    try:
        batch = adapter_class(source)(**options).scrape(progress=report)
    except (SourceError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return scrape_run_finish(run=run, error=f"{type(exc).__name__}: {exc}")
    return scrape_batch_write(run=run, source=source, batch=batch)


def scrape_batch_write(*, run: ScrapeRun, source: str, batch: ScrapeBatch) -> ScrapeRun:
    with transaction.atomic():
        result = prices_ingest(quotes=batch.quotes, source=source)
        if batch.listings or batch.covered_refs:
            source_listings_replace(source=source, listings=batch.listings,
                                    covered_refs=batch.covered_refs)
    result.errors[:0] = batch.errors[:10]
    result.unmatched += batch.unmatched
    return scrape_run_finish(run=run, result=result,
                             fetched=len(batch.quotes) + batch.invalid + batch.unmatched,
                             invalid=batch.invalid)


def _card_ids_for(refs: set[tuple[str, object]]) -> dict[tuple[str, str], int]:
    return {ref: card_id for ref, (card_id, _sealed) in refs_resolve(refs).items()
            if card_id is not None}


def source_listings_replace(*, source: str, listings: list[Listing],
                            covered_refs: set[tuple[str, object]]) -> int:
    """Replace the raw listings of every covered card from this source with `listings`.
    Returns the number stored; listings of cards not in the catalogue are skipped."""
    refs = covered_refs | {listing.ref for listing in listings}
    cards = _card_ids_for(refs)
    now = timezone.now()
    rows: dict[str, SourceListing] = {}
    for listing in listings:
        card_id = cards.get((listing.ref[0], str(listing.ref[1])))
        if card_id is None or listing.price is None or listing.price <= 0:
            continue
        rows[listing.external_id] = SourceListing(
            card_id=card_id, source=source, external_id=listing.external_id[:100],
            kind=listing.kind, title=listing.title[:300], condition=listing.condition,
            language=listing.language[:8], finish=listing.finish, printing=listing.printing,
            grade=listing.grade[:16], price=listing.price, currency=listing.currency,
            quantity=max(1, listing.quantity), seller=listing.seller[:100],
            url=listing.url[:500], observed_at=listing.observed_at or now)
    with transaction.atomic():
        SourceListing.objects.filter(source=source, card_id__in=set(cards.values())).delete()
        SourceListing.objects.filter(source=source, external_id__in=list(rows)).delete()
        SourceListing.objects.bulk_create(rows.values(), batch_size=2000)
    return len(rows)
