"""Writes for the catalogue."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction

from catalogue.importers import source_module
from catalogue.importers.base import ImportReport, SetBundle, catalogue_import
from csm.http import PoliteClient


def catalogue_import_source(*, source: str, path: Path | None = None, live: bool = False,
                            only: set[str] | None = None, base_url: str | None = None,
                            progress: Callable[[SetBundle], None] | None = None
                            ) -> ImportReport:
    """Import one source from files (`path`) or from the live source (`live`)."""
    module = source_module(source)
    if live:
        client = PoliteClient(base_url or module.LIVE_BASE_URL)
        bundles = module.bundles_from_live(client, only=only)
    else:
        if path is None:
            raise ValueError("a path is needed unless importing from the live source")
        bundles = module.bundles_from_path(Path(path), only=only)
    return catalogue_import(tcg_slug=module.TCG_SLUG, source=module.SOURCE, bundles=bundles,
                            progress=progress)


# --- Price summaries (written by pricing.summaries) -------------------------------------------

_SUMMARY_CHUNK = 5000
_CHANGE_LIMIT = Decimal("9999999.99")  # price_change_7d is numeric(9, 2)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _clamp_change(change: Decimal | None) -> Decimal | None:
    if change is None:
        return None
    return max(-_CHANGE_LIMIT, min(_CHANGE_LIMIT, change))


def card_price_summaries_update(
        *, values: Mapping[int, tuple[Decimal | None, Decimal | None]]) -> int:
    """Set `best_price` and `price_change_7d` of many cards: `values[card_id] = (best_price,
    price_change_7d)`. Only cards whose values differ are written (a bulk UPDATE per 5,000
    cards). Returns the number of cards changed."""
    rows = sorted((card_id, best, _clamp_change(change))
                  for card_id, (best, change) in values.items())
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(rows, _SUMMARY_CHUNK):
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE catalogue_card c SET best_price = v.best,"
                    " price_change_7d = v.change"
                    " FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[])"
                    "  AS v(id, best, change)"
                    " WHERE c.id = v.id AND (c.best_price IS DISTINCT FROM v.best"
                    "  OR c.price_change_7d IS DISTINCT FROM v.change)",
                    [[r[0] for r in chunk], [r[1] for r in chunk], [r[2] for r in chunk]])
                changed += cursor.rowcount
            else:
                cursor.executemany(
                    "UPDATE catalogue_card SET best_price = %s, price_change_7d = %s"
                    " WHERE id = %s AND (best_price IS NOT %s OR price_change_7d IS NOT %s)",
                    [(best, change, card_id, best, change) for card_id, best, change in chunk])
                changed += cursor.rowcount
    return changed


def sealed_price_summaries_update(*, values: Mapping[int, Decimal | None]) -> int:
    """Set `best_price` of many sealed products (`values[product_id] = best_price`); only
    changed rows are written. Returns the number of products changed."""
    rows = sorted(values.items())
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(rows, _SUMMARY_CHUNK):
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE catalogue_sealedproduct s SET best_price = v.best"
                    " FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, best)"
                    " WHERE s.id = v.id AND s.best_price IS DISTINCT FROM v.best",
                    [[r[0] for r in chunk], [r[1] for r in chunk]])
                changed += cursor.rowcount
            else:
                cursor.executemany(
                    "UPDATE catalogue_sealedproduct SET best_price = %s"
                    " WHERE id = %s AND best_price IS NOT %s",
                    [(best, product_id, best) for product_id, best in chunk])
                changed += cursor.rowcount
    return changed
