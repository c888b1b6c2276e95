from __future__ import annotations

from typing import Any

from celery import shared_task

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
