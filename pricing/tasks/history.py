"""Pricing tasks: history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import shared_task

from pricing.history import price_history_import as history_import

__all__ = ["price_history_import"]


@shared_task(name="pricing.tasks.price_history_import", acks_late=True,
             soft_time_limit=30 * 60, time_limit=30 * 60 + 60)
def price_history_import(path: str, products_path: str | None = None,
                         dry_run: bool = False) -> dict[str, Any]:
    """Import a TCGplayer history CSV (idempotent: a re-run writes nothing). Returns the
    report."""
    report = history_import(path=Path(path),
                            products_path=Path(products_path) if products_path else None,
                            dry_run=dry_run)
    return report.as_dict()
