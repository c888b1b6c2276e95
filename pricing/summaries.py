"""Card and sealed summaries from the price book: the reference series (`Price.is_primary`),
`Card.best_price`, `Card.price_change_7d` and `SealedProduct.best_price`.

Runs after every ingest (pricing.receivers) for the ids whose prices changed, and for
backfills (`manage.py price_summaries_refresh`). Set-based: per chunk of ids a handful of
statements, whatever the number of price rows; the chunk's writes are one transaction.

Rules (docs/api-notes.md, "Price summaries"):
- Reference series: among the card's raw NM rows with a market price, English first, then
  the most snapshots in the last 90 days, then the source order tcgplayer > pricecharting >
  scryfall > ygoprodeck > cardmarket > cardtrader > ebay, then the lowest id. Exactly that row
  is `is_primary`; a card without raw NM rows has none.
- best_price: the lowest current raw NM market price across sources and variants, in USD.
  Each currency's lowest price is converted with today's ECB reference rate
  (`pricing.fx.Converter`: the rates and rounding of `pricing.fx.convert`); a currency
  without a rate is left out, never mixed in unconverted. English rows are preferred as for
  the reference series: rows in other languages count only for a card without a convertible
  English row. Sealed products: the same over their raw NM rows.
- price_change_7d: percent change of the reference series from the latest snapshot dated
  at least 7 days before its latest snapshot to that latest snapshot; null when none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalogue.services import card_price_summaries_update, sealed_price_summaries_update
from pricing.fx import Converter
from pricing.models import RAW, Condition, Price
from pricing.selectors import (
    CENT,
    REFERENCE_LANGUAGE,
    REFERENCE_WINDOW_DAYS,
    SOURCE_PREFERENCE,
)

USD = "USD"
CHANGE_DAYS = 7


@dataclass
class SummaryResult:
    cards: int = 0
    sealed: int = 0
    primary_changed: int = 0  # price rows whose is_primary flag flipped
    cards_changed: int = 0
    sealed_changed: int = 0

    def summary(self) -> str:
        return (f"{self.cards} cards ({self.cards_changed} changed, {self.primary_changed} "
                f"reference flags flipped), {self.sealed} sealed products "
                f"({self.sealed_changed} changed)")


def _chunk_size() -> int:
    # SQLite binds each id as its own parameter; PostgreSQL takes one array.
    return 10_000 if connection.vendor == "postgresql" else 500


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    size = _chunk_size()
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _in(column: str, ids: Sequence[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _begin_chunk() -> None:
    """In the chunk's transaction: serialise concurrent refreshes (two scrapes finishing
    together flip flags of overlapping cards; the later one must see the earlier one's
    result), and turn JIT off — these statements are short, and compiling them cost more
    than running them (0.4 s of 1.1 s per 10,000 cards)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('pricing.summaries'))")


# --- Reference series -------------------------------------------------------------------------


def _source_rank_sql() -> str:
    whens = " ".join(f"WHEN '{source}' THEN {rank}"
                     for rank, source in enumerate(SOURCE_PREFERENCE))
    return f"CASE c.source {whens} ELSE {len(SOURCE_PREFERENCE)} END"


def _chosen_sql(where: str) -> str:
    """SELECT the id of each card's reference row. Snapshots are counted only where they can
    decide: for rows of the card's preferred language class that share it with another row.
    Parameters: the language, the 90-day cut-off, then those of `where`, grade, condition."""
    return (
        "SELECT id FROM ("  # noqa: S608 (placeholders and fixed fragments only)
        " SELECT c.id, row_number() OVER (PARTITION BY c.card_id ORDER BY"
        "  c.foreign_language,"
        "  CASE WHEN c.k > 1 AND (c.foreign_language = 0 OR NOT c.has_english)"
        "   THEN (SELECT count(*) FROM pricing_pricesnapshot s"
        "    WHERE s.price_id = c.id AND s.date >= %s) ELSE 0 END DESC,"
        f"  {_source_rank_sql()}, c.id) AS n"
        " FROM (SELECT l.*, count(*) OVER (PARTITION BY l.card_id, l.foreign_language) AS k,"
        "   min(l.foreign_language) OVER (PARTITION BY l.card_id) = 0 AS has_english"
        "  FROM (SELECT p.id, p.card_id, p.source,"
        "    CASE WHEN p.language = %s THEN 0 ELSE 1 END AS foreign_language"
        "   FROM pricing_price p"
        f"   WHERE {where} AND p.grade = %s AND p.condition = %s"
        "    AND p.market_price IS NOT NULL) l) c"
        ") ranked WHERE n = 1")


def reference_series_choose(card_ids: Sequence[int], *, since: date) -> int:
    """Mark each card's reference row `is_primary` and clear the flag on its other rows.
    Three reads and at most two writes per chunk: the choice, the rows flagged now (the
    partial index on is_primary), and an update of only the rows whose flag flips. Returns
    the number of rows whose flag changed."""
    where, params = _in("p.card_id", card_ids)
    with connection.cursor() as cursor:
        cursor.execute(_chosen_sql(where), [since, REFERENCE_LANGUAGE, *params, RAW,
                                            Condition.NM])
        chosen = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"SELECT p.id FROM pricing_price p WHERE {where}"  # noqa: S608
                       " AND p.is_primary", params)
        flagged = {row[0] for row in cursor.fetchall()}
        changed = 0
        for ids, flag in ((sorted(flagged - chosen), False), (sorted(chosen - flagged), True)):
            if ids:
                id_where, id_params = _in("id", ids)
                cursor.execute(f"UPDATE pricing_price SET is_primary = %s"  # noqa: S608
                               f" WHERE {id_where}", [flag, *id_params])
                changed += cursor.rowcount
    return changed


# --- Best price -------------------------------------------------------------------------------


def _best_usd(rows: Iterable[tuple[int, bool, str, Decimal]]) -> dict[int, Decimal]:
    """rows: (item id, is English, currency, lowest market price in that currency)."""
    convert = Converter()
    best: dict[int, tuple[bool, Decimal]] = {}
    for item_id, english, currency, low in rows:
        usd = convert(Decimal(low), currency, USD)
        if usd is None:
            continue  # no FX rate: left out, never mixed unconverted
        current = best.get(item_id)
        # English rows win over other languages; within the same class the lowest wins.
        if current is None or (english and not current[0]) or (
                english == current[0] and usd < current[1]):
            best[item_id] = (english, usd)
    return {item_id: usd for item_id, (_english, usd) in best.items()}


def _best_prices(ids: Sequence[int], *, field: str) -> dict[int, Decimal]:
    """Lowest raw NM market price per item in USD; `field` is card_id or sealed_product_id."""
    column = {"card_id": "card_id", "sealed_product_id": "sealed_product_id"}[field]
    where, params = _in(column, ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column}, language = %s, currency, min(market_price)"  # noqa: S608
            f" FROM pricing_price WHERE {where} AND grade = %s AND condition = %s"
            "  AND market_price IS NOT NULL"
            f" GROUP BY {column}, language = %s, currency",
            [REFERENCE_LANGUAGE, *params, RAW, Condition.NM, REFERENCE_LANGUAGE])
        return _best_usd((item, bool(english), currency, Decimal(str(low)))
                         for item, english, currency, low in cursor.fetchall())


# --- 7-day change -----------------------------------------------------------------------------


def _minus_days_sql(column: str, days: int) -> str:
    if connection.vendor == "postgresql":
        return f"{column} - {int(days)}"
    return f"date({column}, '-{int(days)} days')"


def _changes(card_ids: Sequence[int], *, days: int = CHANGE_DAYS) -> dict[int, Decimal]:
    """Percent change of each card's reference series over `days` (cards with a value): the
    latest snapshot against the last one at least `days` earlier — but no more than twice
    that (as the market movers): a series with a gap longer than that has no 7-day change."""
    where, params = _in("p.card_id", card_ids)
    sql = (
        "SELECT x.card_id, x.latest, (SELECT s.market_price"  # noqa: S608
        "  FROM pricing_pricesnapshot s"
        "  WHERE s.price_id = x.id AND s.market_price IS NOT NULL"
        f"  AND s.date <= {_minus_days_sql('x.latest_date', days)}"
        f"  AND s.date >= {_minus_days_sql('x.latest_date', 2 * days)}"
        "  ORDER BY s.date DESC LIMIT 1)"
        " FROM (SELECT p.id, p.card_id,"
        "  (SELECT s.date FROM pricing_pricesnapshot s WHERE s.price_id = p.id"
        "   AND s.market_price IS NOT NULL ORDER BY s.date DESC LIMIT 1) AS latest_date,"
        "  (SELECT s.market_price FROM pricing_pricesnapshot s WHERE s.price_id = p.id"
        "   AND s.market_price IS NOT NULL ORDER BY s.date DESC LIMIT 1) AS latest"
        f" FROM pricing_price p WHERE {where} AND p.is_primary) x"
        " WHERE x.latest_date IS NOT NULL")
    changes: dict[int, Decimal] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for card_id, latest, earlier in cursor.fetchall():
            if earlier is None or latest is None:
                continue
            latest, earlier = Decimal(str(latest)), Decimal(str(earlier))
            if earlier > 0:
                changes[card_id] = ((latest - earlier) / earlier * 100).quantize(
                    CENT, rounding=ROUND_HALF_UP)
    return changes


# --- Entry points -----------------------------------------------------------------------------


def price_summaries_refresh(*, card_ids: Iterable[int], sealed_ids: Iterable[int],
                            today: date | None = None,
                            progress: Callable[[int], None] | None = None) -> SummaryResult:
    """Recompute the summaries of these cards and sealed products from their price book.
    Ids without prices get nulls. `progress(n)` is called after each chunk of n ids."""
    since = (today or timezone.now().date()) - timedelta(days=REFERENCE_WINDOW_DAYS)
    result = SummaryResult()
    for chunk in _chunks(card_ids):
        with transaction.atomic():
            _begin_chunk()
            result.primary_changed += reference_series_choose(chunk, since=since)
            best = _best_prices(chunk, field="card_id")
            changes = _changes(chunk)
            result.cards_changed += card_price_summaries_update(values={
                card_id: (best.get(card_id), changes.get(card_id)) for card_id in chunk})
        result.cards += len(chunk)
        if progress:
            progress(len(chunk))
    for chunk in _chunks(sealed_ids):
        with transaction.atomic():
            _begin_chunk()
            best = _best_prices(chunk, field="sealed_product_id")
            result.sealed_changed += sealed_price_summaries_update(
                values={sealed_id: best.get(sealed_id) for sealed_id in chunk})
        result.sealed += len(chunk)
        if progress:
            progress(len(chunk))
    return result


def priced_ids() -> tuple[list[int], list[int]]:
    """Ids of every card and sealed product with at least one price row, and of every card
    that still carries a summary (so a card whose prices are gone is cleared)."""
    from catalogue.models import Card, SealedProduct

    cards = set(Price.objects.filter(card__isnull=False).order_by()
                .values_list("card_id", flat=True).distinct())
    cards |= set(Card.objects.filter(Q(best_price__isnull=False)
                                     | Q(price_change_7d__isnull=False))
                 .values_list("pk", flat=True))
    sealed = set(Price.objects.filter(sealed_product__isnull=False).order_by()
                 .values_list("sealed_product_id", flat=True).distinct())
    sealed |= set(SealedProduct.objects.filter(best_price__isnull=False)
                  .values_list("pk", flat=True))
    return sorted(cards), sorted(sealed)
