from __future__ import annotations

from typing import Any

from celery import shared_task

from catalogue.images import card_images_update, cards_for_images
from catalogue.services import catalogue_import_source


@shared_task(name="catalogue.tasks.catalogue_import_run", acks_late=True,
             autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3,
             soft_time_limit=3 * 3600, time_limit=3 * 3600 + 300)
def catalogue_import_run(source: str, path: str | None = None, live: bool = False,
                         only: list[str] | None = None) -> dict[str, Any]:
    """Import a source (idempotent: a re-run changes nothing). Returns the report."""
    report = catalogue_import_source(source=source, path=path, live=live,
                                     only=set(only) if only else None)
    return report.as_dict()


@shared_task(name="catalogue.tasks.card_images_fetch", acks_late=True,
             soft_time_limit=30 * 60, time_limit=30 * 60 + 60)
def card_images_fetch(card_ids: list[int], force: bool = False) -> dict[str, Any]:
    """Download these cards' source images and store WebP thumbnails (idempotent: cards done
    already are skipped unless `force`). A failed download is reported and leaves the card as
    it was; the polite client has already retried it with backoff."""
    report = card_images_update(cards=cards_for_images(card_ids=card_ids), force=force)
    return report.as_dict()
