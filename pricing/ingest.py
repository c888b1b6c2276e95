"""Writing prices: validate → merge duplicates → resolve catalogue items → bulk upsert.

Source adapters produce `Quote`s (a price for an item identified the way the source
identifies it) and hand them to `prices_ingest`. Nothing is written until every quote of the
batch has been parsed and validated, and the whole batch is one transaction, so a faulty
source (timeout, 5xx, garbage) never leaves half a scrape or a corrupt figure behind.

Normalisation rules (also in docs/pricing.md):
- Invalid quotes are dropped and counted: market price missing, ≤ 0, ≥ 10,000,000 or not a
  number; unknown currency, condition or source.
- Duplicates (the same key twice in a batch, e.g. a product on two result pages) are merged:
  market = median of the markets, low = min, high = max, observations summed, the latest
  recorded_at.
- Outliers: a new market price more than `OUTLIER_FACTOR` times above or below the key's
  rolling median (median of its last seven daily snapshots, refreshed daily by
  `price_reference_refresh`) is held back — the stored price stays, the figure is kept in
  `rejected_price` and counted. If the same key stays out of range for `OUTLIER_STREAK`
  scrapes in a row, the move is genuine and the new price is accepted.
- An older quote never overwrites a newer stored price.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from catalogue.models import Card, SealedProduct
from pricing.models import Condition, Source

OUTLIER_FACTOR = Decimal(4)
OUTLIER_STREAK = 3  # the third consecutive out-of-range scrape is accepted
MAX_PRICE = Decimal("10000000")
CENT = Decimal("0.01")
CURRENCIES = frozenset({"USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "SEK", "DKK", "NOK",
                        "PLN", "CZK", "HUF", "NZD", "SGD", "HKD", "KRW", "CNY", "MXN", "BRL"})
SOURCES = frozenset(Source.values)
CONDITIONS = frozenset(Condition.values)

# Fired after commit with the ids whose price book changed (a new accepted price).
# Receivers: card summaries (best_price / price_change_7d), alerts, market cache warming.
prices_changed = Signal()  # kwargs: card_ids: set[int], sealed_ids: set[int], source: str

# How a source identifies the item a quote is for; the value is looked up in this field.
CARD_REFS = {
    "card_id": "pk",
    "pokemontcg_id": "pokemontcg_id",
    "scryfall_id": "scryfall_id",
    "tcgplayer_product_id": "tcgplayer_product_id",
    "cardmarket_product_id": "cardmarket_product_id",
    "ygoprodeck_id": "ygoprodeck_id",
}
SEALED_REFS = {
    "sealed_id": "pk",
    "sealed_tcgplayer_product_id": "tcgplayer_product_id",
    "sealed_cardmarket_product_id": "cardmarket_product_id",
}


@dataclass(frozen=True, slots=True)
class Quote:
    """One price as a source reports it. `ref` is (kind, value), kind a key of CARD_REFS or
    SEALED_REFS, e.g. ("pokemontcg_id", "base1-4") or ("sealed_tcgplayer_product_id", 1234)."""

    ref: tuple[str, object]
    currency: str
    market: Decimal | None
    low: Decimal | None = None
    mid: Decimal | None = None
    high: Decimal | None = None
    variant: str = "normal"
    condition: str = Condition.NM
    language: str = "en"
    grade: str = "raw"
    observations: int = 0
    recorded_at: datetime | None = None


@dataclass(slots=True)
class PriceRow:
    """A validated quote resolved to a catalogue item: one row of the bulk upsert."""

    card_id: int | None
    sealed_id: int | None
    source: str
    variant: str
    condition: str
    language: str
    grade: str
    currency: str
    market: Decimal | None
    low: Decimal | None
    mid: Decimal | None
    high: Decimal | None
    observations: int
    recorded_at: datetime

    def key(self) -> tuple:
        return (self.card_id, self.sealed_id, self.source, self.variant, self.condition,
                self.language, self.grade, self.currency)


@dataclass
class IngestResult:
    received: int = 0
    invalid: int = 0
    unmatched: int = 0
    merged: int = 0
    written: int = 0  # rows whose new price was accepted (inserted or updated)
    outliers: int = 0  # rows held back by the outlier guard
    stale: int = 0  # rows older than the stored price
    card_ids: set[int] = field(default_factory=set)
    sealed_ids: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)  # the first few reasons, for the run log

    def note(self, reason: str) -> None:
        if len(self.errors) < 20:
            self.errors.append(reason)


def money(value: object) -> Decimal | None:
    """A price as Decimal rounded to cents; None for missing, non-numeric, ≤ 0 or absurd."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0 or amount >= MAX_PRICE:
        return None
    return amount.quantize(CENT)


def _validate(quote: Quote, source: str, now: datetime, result: IngestResult) -> bool:
    if quote.market is None or not (0 < quote.market < MAX_PRICE):
        result.note(f"{quote.ref}: no valid market price")
        return False
    if quote.currency not in CURRENCIES:
        result.note(f"{quote.ref}: unknown currency {quote.currency!r}")
        return False
    if quote.condition not in CONDITIONS:
        result.note(f"{quote.ref}: unknown condition {quote.condition!r}")
        return False
    if not quote.variant or len(quote.variant) > 32 or len(quote.grade) > 16 \
            or len(quote.language) > 8:
        result.note(f"{quote.ref}: malformed variant, grade or language")
        return False
    if quote.recorded_at is not None and quote.recorded_at > now + timedelta(hours=1):
        result.note(f"{quote.ref}: recorded in the future")
        return False
    if quote.ref[0] not in CARD_REFS and quote.ref[0] not in SEALED_REFS:
        result.note(f"{quote.ref}: unknown reference kind")
        return False
    return True


def refs_resolve(refs: Iterable[tuple[str, object]]
                 ) -> dict[tuple[str, str], tuple[int | None, int | None]]:
    """(ref kind, str(value)) -> (card id, sealed id), one query per kind in use. Refs of an
    unknown kind are ignored."""
    wanted: dict[str, set] = defaultdict(set)
    for kind, value in refs:
        if kind in CARD_REFS or kind in SEALED_REFS:
            wanted[kind].add(value)
    found: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    for kind, values in wanted.items():
        is_card = kind in CARD_REFS
        model = Card if is_card else SealedProduct
        column = (CARD_REFS if is_card else SEALED_REFS)[kind]
        values = _coerce(kind, values)
        for chunk in _chunks(sorted(values, key=str), 5000):
            rows = model.objects.filter(**{f"{column}__in": chunk}).order_by("pk") \
                .values_list(column, "pk")
            for value, pk in rows:
                # The first (lowest id) item wins when a source id is shared.
                found.setdefault((kind, str(value)), (pk, None) if is_card else (None, pk))
    return found


def _coerce(kind: str, values: set) -> set:
    if kind.endswith("_id") and kind not in {"pokemontcg_id", "scryfall_id"}:
        out = set()
        for value in values:
            try:
                out.add(int(value))
            except (TypeError, ValueError):
                continue
        return out
    return {str(value) for value in values}


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _merge(rows: list[PriceRow], result: IngestResult) -> list[PriceRow]:
    by_key: dict[tuple, list[PriceRow]] = {}
    for row in rows:
        by_key.setdefault(row.key(), []).append(row)
    merged: list[PriceRow] = []
    for group in by_key.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        result.merged += len(group) - 1
        first = group[0]
        lows = [r.low for r in group if r.low is not None]
        highs = [r.high for r in group if r.high is not None]
        mids = [r.mid for r in group if r.mid is not None]
        first.market = Decimal(statistics.median([r.market for r in group])).quantize(CENT)
        first.low = min(lows) if lows else None
        first.high = max(highs) if highs else None
        first.mid = Decimal(statistics.median(mids)).quantize(CENT) if mids else None
        first.observations = sum(r.observations for r in group)
        first.recorded_at = max(r.recorded_at for r in group)
        merged.append(first)
    return merged


def _clean(text: str) -> str:
    """Source text as one line: tabs, newlines and runs of spaces become one space."""
    return " ".join(text.split())


def quotes_to_rows(quotes: Iterable[Quote], *, source: str,
                   result: IngestResult) -> list[PriceRow]:
    """Validate, resolve and merge. Quotes for items not in the catalogue are counted."""
    now = timezone.now()
    valid: list[Quote] = []
    for quote in quotes:
        result.received += 1
        if _validate(quote, source, now, result):
            valid.append(quote)
        else:
            result.invalid += 1
    resolved = refs_resolve(quote.ref for quote in valid)
    rows: list[PriceRow] = []
    for quote in valid:
        item = resolved.get((quote.ref[0], str(quote.ref[1])))
        if item is None:
            result.unmatched += 1
            continue
        rows.append(PriceRow(
            card_id=item[0], sealed_id=item[1], source=source, variant=_clean(quote.variant),
            condition=quote.condition, language=_clean(quote.language),
            grade=_clean(quote.grade),
            currency=quote.currency, market=quote.market, low=quote.low, mid=quote.mid,
            high=quote.high, observations=max(0, int(quote.observations or 0)),
            recorded_at=quote.recorded_at or now))
    return _merge(rows, result)


def prices_ingest(*, quotes: Iterable[Quote], source: str,
                  synthetic: bool = False) -> IngestResult:
    """The one entry point for writing prices. Atomic; `prices_changed` fires after commit."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    result = IngestResult()
    rows = quotes_to_rows(quotes, source=source, result=result)
    price_rows_upsert(rows, result=result, synthetic=synthetic)
    return result


def price_rows_upsert(rows: Sequence[PriceRow], *, result: IngestResult | None = None,
                      synthetic: bool = False, notify: bool = True) -> IngestResult:
    """Bulk upsert of resolved, merged rows (one row per key) plus that day's snapshots.

    PostgreSQL: COPY into a temporary table, then one INSERT … ON CONFLICT … RETURNING whose
    accepted rows feed the snapshot upsert in the same statement. SQLite: the same SQL in
    two statements.
    """
    result = result or IngestResult()
    if not rows:
        return result
    with transaction.atomic():
        if connection.vendor == "postgresql":
            written, outliers, stale, card_ids, sealed_ids = _upsert_postgresql(rows, synthetic)
        else:
            written, outliers, stale, card_ids, sealed_ids = _upsert_sqlite(rows, synthetic)
        result.written += written
        result.outliers += outliers
        result.stale += stale
        result.card_ids |= card_ids
        result.sealed_ids |= sealed_ids
        if notify and (card_ids or sealed_ids):
            source = rows[0].source
            transaction.on_commit(lambda: prices_changed.send(
                sender=PriceRow, card_ids=card_ids, sealed_ids=sealed_ids, source=source))
    return result


_COLUMNS = ("card_id", "sealed_product_id", "source", "variant", "condition", "language",
            "grade", "currency", "market_price", "low_price", "mid_price", "high_price",
            "observations", "recorded_at", "is_synthetic")


def _accept_sql(new: str, old: str) -> str:
    """SQL: the new market price passes the outlier guard against the stored row."""
    return (f"({old}.reference_price IS NULL"
            f" OR {new}.market_price BETWEEN {old}.reference_price / {OUTLIER_FACTOR}"
            f" AND {old}.reference_price * {OUTLIER_FACTOR}"
            f" OR {old}.outlier_streak >= {OUTLIER_STREAK - 1})")


def _on_conflict(target: str, where: str) -> str:
    accept = _accept_sql("excluded", "p")
    keep_or_new = ", ".join(
        f"{col} = CASE WHEN {accept} THEN excluded.{col} ELSE p.{col} END"
        for col in ("market_price", "low_price", "mid_price", "high_price", "observations",
                    "recorded_at"))
    return (f" ON CONFLICT ({target}, source, variant, condition, language, grade, currency)"
            f" WHERE {where} DO UPDATE SET {keep_or_new},"
            f" outlier_streak = CASE WHEN {accept} THEN 0 ELSE p.outlier_streak + 1 END,"
            f" rejected_price = CASE WHEN {accept} THEN NULL ELSE excluded.market_price END,"
            f" is_synthetic = excluded.is_synthetic"
            f" WHERE excluded.recorded_at >= p.recorded_at")


_SNAPSHOT_COLUMNS = "price_id, date, market_price, low_price, high_price, observations"
_SNAPSHOT_VALUES = ("id, (recorded_at AT TIME ZONE 'UTC')::date, market_price, low_price,"
                    " high_price, observations")


def _upsert_postgresql_sql(target: str, where: str) -> str:
    """One statement per target: upsert the prices, then that day's snapshots of the accepted
    ones. A new price row (`xmax = 0` in RETURNING: inserted, not updated) has a new id and so
    no snapshot yet: its snapshot is a plain INSERT (ON CONFLICT's speculative insertion costs
    two more WAL records a row); only updated rows need ON CONFLICT."""
    return (
        "WITH up AS ("  # noqa: S608 (SQL from constants only)
        f" INSERT INTO pricing_price AS p ({', '.join(_COLUMNS)}, outlier_streak, is_primary)"
        f" SELECT {', '.join(_COLUMNS)}, 0, false FROM pricing_ingest WHERE {where}"
        f" {_on_conflict(target, where)}"
        " RETURNING p.id, p.card_id, p.sealed_product_id, p.outlier_streak, p.market_price,"
        "  p.low_price, p.high_price, p.observations, p.recorded_at, p.xmax = 0 AS inserted"
        "), fresh AS ("
        f" INSERT INTO pricing_pricesnapshot ({_SNAPSHOT_COLUMNS})"
        f" SELECT {_SNAPSHOT_VALUES} FROM up WHERE inserted"
        "), changed AS ("
        f" INSERT INTO pricing_pricesnapshot AS s ({_SNAPSHOT_COLUMNS})"
        f" SELECT {_SNAPSHOT_VALUES} FROM up WHERE outlier_streak = 0 AND NOT inserted"
        " ON CONFLICT (price_id, date) DO UPDATE SET"
        "  market_price = excluded.market_price, low_price = excluded.low_price,"
        "  high_price = excluded.high_price, observations = excluded.observations"
        # a same-day re-scrape mostly brings the same figures: no new row version for those
        " WHERE (s.market_price, s.low_price, s.high_price, s.observations) IS DISTINCT FROM"
        "  (excluded.market_price, excluded.low_price, excluded.high_price,"
        "   excluded.observations)"
        ")"
        " SELECT count(*) FILTER (WHERE outlier_streak = 0),"
        "  count(*) FILTER (WHERE outlier_streak > 0),"
        f"  array_agg({target}) FILTER (WHERE outlier_streak = 0) FROM up")


_TARGETS = (("card_id", "card_id IS NOT NULL"),
            ("sealed_product_id", "sealed_product_id IS NOT NULL"))
_UPSERT_SQL = {target: _upsert_postgresql_sql(target, where) for target, where in _TARGETS}


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": " ", "\n": " ", "\r": " "})


COPY_CHUNK = 5_000  # rows per write: PostgreSQL parses one chunk while Python builds the next


def _copy_chunks(rows: Sequence[PriceRow], synthetic: bool) -> Iterable[str]:
    """The rows as COPY text, in chunks: one f-string per row (~3x less CPU than write_row's
    adaptation). Variant, language and grade come from sources: tabs, newlines and
    backslashes are escaped (once per distinct value); the other text columns are validated
    codes."""
    null = "\\N"
    flag = "t" if synthetic else "f"
    stamps: dict[datetime, str] = {}
    texts: dict[str, str] = {}

    def text(value: str) -> str:
        escaped = texts.get(value)
        if escaped is None:
            escaped = texts[value] = value.translate(_COPY_ESCAPES)
        return escaped

    def stamp(value: datetime) -> str:
        formatted = stamps.get(value)
        if formatted is None:
            formatted = stamps[value] = value.isoformat()
        return formatted

    for start in range(0, len(rows), COPY_CHUNK):
        yield "".join([
            f"{null if r.card_id is None else r.card_id}\t"
            f"{null if r.sealed_id is None else r.sealed_id}\t{r.source}\t{text(r.variant)}\t"
            f"{r.condition}\t{text(r.language)}\t{text(r.grade)}\t{r.currency}\t"
            f"{null if r.market is None else r.market}\t{null if r.low is None else r.low}\t"
            f"{null if r.mid is None else r.mid}\t{null if r.high is None else r.high}\t"
            f"{r.observations}\t{stamp(r.recorded_at)}\t{flag}\n"
            for r in rows[start:start + COPY_CHUNK]])


def _upsert_postgresql(rows: Sequence[PriceRow], synthetic: bool):  # noqa: ANN202
    with connection.cursor() as cursor:
        # Scraped prices are re-fetchable: a crash may lose the last moments of a batch, never
        # consistency, so the batch need not wait for its WAL flush. The statement's
        # RETURNING set is kept in memory rather than spilled (work_mem), and its cost
        # estimate must not trigger JIT compilation (~40 ms for nothing at 50,000 rows);
        # both are put back after the statements.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS pricing_ingest ("
            " card_id bigint, sealed_product_id bigint, source varchar(16),"
            " variant varchar(32), condition varchar(3), language varchar(8),"
            " grade varchar(16), currency varchar(3), market_price numeric(12,2),"
            " low_price numeric(12,2), mid_price numeric(12,2), high_price numeric(12,2),"
            " observations integer, recorded_at timestamptz, is_synthetic boolean"
            ") ON COMMIT DELETE ROWS")
        cursor.execute("TRUNCATE pricing_ingest")
        with cursor.copy(f"COPY pricing_ingest ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for chunk in _copy_chunks(rows, synthetic):
                copy.write(chunk)
        totals = {"written": 0, "outliers": 0}
        card_ids: set[int] = set()
        sealed_ids: set[int] = set()
        has_sealed = any(r.sealed_id is not None for r in rows)
        for target, _where in _TARGETS:
            if target == "sealed_product_id" and not has_sealed:
                continue
            cursor.execute(_UPSERT_SQL[target])
            written, outliers, ids = cursor.fetchone()
            totals["written"] += written
            totals["outliers"] += outliers
            (card_ids if target == "card_id" else sealed_ids).update(ids or ())
        cursor.execute("SET LOCAL work_mem TO DEFAULT")
        cursor.execute("SET LOCAL jit TO DEFAULT")
    stale = len(rows) - totals["written"] - totals["outliers"]
    return totals["written"], totals["outliers"], stale, card_ids, sealed_ids


def _upsert_sqlite(rows: Sequence[PriceRow], synthetic: bool):  # noqa: ANN202
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS pricing_ingest ("
            " card_id integer, sealed_product_id integer, source text, variant text,"
            " condition text, language text, grade text, currency text, market_price"
            " decimal, low_price decimal, mid_price decimal, high_price decimal,"
            " observations integer, recorded_at datetime, is_synthetic bool)")
        cursor.execute("DELETE FROM pricing_ingest")
        cursor.executemany(
            f"INSERT INTO pricing_ingest ({', '.join(_COLUMNS)}) VALUES"  # noqa: S608
            f" ({', '.join(['%s'] * len(_COLUMNS))})",
            [(r.card_id, r.sealed_id, r.source, r.variant, r.condition, r.language, r.grade,
              r.currency, _dec(r.market), _dec(r.low), _dec(r.mid), _dec(r.high),
              r.observations, _sqlite_dt(r.recorded_at), synthetic) for r in rows])
        for target, where in (("card_id", "card_id IS NOT NULL"),
                              ("sealed_product_id", "sealed_product_id IS NOT NULL")):
            cursor.execute(
                f"INSERT INTO pricing_price AS p ({', '.join(_COLUMNS)}, outlier_streak,"  # noqa: S608
                " is_primary)"
                f" SELECT {', '.join(_COLUMNS)}, 0, false FROM pricing_ingest WHERE {where}"
                f" {_on_conflict(target, where)}")
        # Rows of this batch whose stored value is now the batch's: accepted. One join per
        # target so SQLite can use the partial unique index (an `IS` join cannot).
        written = outliers = 0
        card_ids: set[int] = set()
        sealed_ids: set[int] = set()
        for target, ids in (("card_id", card_ids), ("sealed_product_id", sealed_ids)):
            join = (f"FROM pricing_ingest i JOIN pricing_price p ON p.{target} = i.{target}"
                    f" AND p.{target} IS NOT NULL AND p.source = i.source"
                    " AND p.variant = i.variant AND p.condition = i.condition"
                    " AND p.language = i.language AND p.grade = i.grade"
                    " AND p.currency = i.currency")
            cursor.execute(
                "INSERT INTO pricing_pricesnapshot (price_id, date, market_price, low_price,"
                " high_price, observations)"
                " SELECT p.id, date(p.recorded_at), p.market_price, p.low_price,"
                f" p.high_price, p.observations {join}"  # noqa: S608
                " WHERE p.outlier_streak = 0 AND p.recorded_at = i.recorded_at"
                " ON CONFLICT (price_id, date) DO UPDATE SET"
                " market_price = excluded.market_price, low_price = excluded.low_price,"
                " high_price = excluded.high_price, observations = excluded.observations")
            cursor.execute(
                "SELECT p.outlier_streak = 0 AND p.recorded_at = i.recorded_at,"
                " p.outlier_streak > 0 AND p.rejected_price = i.market_price,"
                f" p.{target} {join}")  # noqa: S608
            for accepted, held_back, item_id in cursor.fetchall():
                if accepted:
                    written += 1
                    ids.add(item_id)
                elif held_back:
                    outliers += 1
        cursor.execute("DELETE FROM pricing_ingest")
    return written, outliers, len(rows) - written - outliers, card_ids, sealed_ids


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _sqlite_dt(value: datetime) -> str:
    # Django stores SQLite datetimes as naive UTC 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


REFERENCE_WINDOW = 7  # daily snapshots behind the rolling median


def price_reference_refresh(*, today: date | None = None) -> int:
    """Recompute every price's rolling median (the outlier guard's reference) from its last
    seven daily snapshots within 30 days. Returns the number of prices updated."""
    since = (today or timezone.now().date()) - timedelta(days=30)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE pricing_price p SET reference_price = m.median FROM ("
                " SELECT price_id, round(percentile_cont(0.5) WITHIN GROUP"
                "  (ORDER BY market_price)::numeric, 2) AS median FROM ("
                "  SELECT price_id, market_price, row_number() OVER"
                "   (PARTITION BY price_id ORDER BY date DESC) AS n"
                "  FROM pricing_pricesnapshot WHERE date >= %s AND market_price IS NOT NULL"
                " ) recent WHERE n <= %s GROUP BY price_id"
                ") m WHERE p.id = m.price_id"
                " AND p.reference_price IS DISTINCT FROM m.median", [since, REFERENCE_WINDOW])
            return cursor.rowcount
        cursor.execute(
            "SELECT price_id, market_price FROM pricing_pricesnapshot"
            " WHERE date >= %s AND market_price IS NOT NULL ORDER BY price_id, date DESC",
            [since])
        recent: dict[int, list[Decimal]] = defaultdict(list)
        for price_id, market in cursor.fetchall():
            if len(recent[price_id]) < REFERENCE_WINDOW:
                recent[price_id].append(Decimal(str(market)))
        updates = [(str(Decimal(statistics.median(v)).quantize(CENT)), k)
                   for k, v in recent.items()]
        cursor.executemany("UPDATE pricing_price SET reference_price = %s WHERE id = %s",
                           updates)
        return len(updates)
