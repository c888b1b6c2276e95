"""Importing the real TCGplayer market-price history (`tcgplayer_history.csv`).

The CSV (from dennislwm/pytcgplayer, scraped daily from TCGplayer's "3M" price chart) holds
one row per product and 3-day period:

    set,type,period,name,period_start_date,period_end_date,timestamp,holofoil_price,volume
    SV03,Card,3M,Charizard ex 223,2025-04-24,2025-04-26,2025-07-24 22:00:57,103.52,12

`tcgplayer_products.csv` names the same products (set, type, name) with their TCGplayer
product URL, hence the product id. What the data holds and how it is read (also in
docs/api-notes.md, "TCGplayer price history"):

- Only the 3M chart (`period` is "3M" throughout); periods are 3 days long and overlap (a
  new one ends every day), so a period's end date is one daily point.
- `holofoil_price` is TCGplayer's market price in USD whatever the finish (the tool names
  the column after its first product); `volume` is the number of sales in the period.
- No data: a price of 0.0 (often with empty dates). Such rows are skipped and counted.
- Wrong year: scrapes made in early January dated October–December periods in the new year
  (a period "ending" up to a year after it was scraped). A period cannot end after it was
  scraped, so one that ends more than `REDATE_AFTER` after its `timestamp` is moved one year
  back (counted as re-dated).
- Duplicates: the same product and end date scraped more than once (mostly the re-dated
  rows) — the latest scrape wins, since the period was still open at the earlier one.
- Scraper glitches (runs of 0.70, 0.90, 1.41 … for a $250 product): a point more than
  `pricing.ingest.OUTLIER_FACTOR` (4) times above or below the median of the product's
  points within `OUTLIER_WINDOW_DAYS` (60) days either side is dropped and counted.

Matching, never guessing: sealed products by their TCGplayer product id (the products CSV),
else by set and kind; cards by set (SV03 -> sv3, SV03.5 -> sv3pt5, SWSH06 -> swsh6), number
and name, cross-checked with the TCGplayer product id when both exist. Rows of products not in
the catalogue are reported (one entry per product, naming its lines and row count).

Writing: one `Price` per product (source tcgplayer, NM, en, raw, USD; variant `normal` for
sealed products, for cards the printing's finish — `holofoil` unless the card's only finish
is another) whose current value is the latest point, through
`pricing.ingest.price_rows_upsert` (so the outlier guard and "older never overwrites newer"
apply); and one `PriceSnapshot` per point (date = period end, observations = volume). Only
what differs from the database is written, so a re-run writes nothing.
"""

from __future__ import annotations

import bisect
import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalogue.importers.base import ReportedError
from catalogue.importers.files import open_text
from catalogue.importers.tcgplayer_products import (
    code_set_id,
    normalise_name,
    normalise_number,
    pokemontcg_set_id,
    read_rows,
    sealed_kind,
    split_card_name,
)
from catalogue.models import TCG, Card, CardSet, SealedProduct
from pricing.ingest import (
    OUTLIER_FACTOR,
    PriceRow,
    money,
    price_reference_refresh,
    price_rows_upsert,
    prices_changed,
)
from pricing.models import RAW, Condition, Price, PriceSnapshot, ScrapeRun, Source

RUN_SOURCE = "tcgplayer_history"  # ScrapeRun.source of an import
PRICE_SOURCE = Source.TCGPLAYER
CURRENCY = "USD"
TCG_SLUG = "pokemon"
HISTORY_FILE = "tcgplayer_history.csv"
PRODUCTS_FILE = "tcgplayer_products.csv"
COLUMNS = ("set", "type", "name", "period_start_date", "period_end_date", "timestamp",
           "holofoil_price", "volume")
CARD_VARIANT = "holofoil"
SEALED_VARIANT = "normal"
REDATE_AFTER = timedelta(days=7)
OUTLIER_WINDOW_DAYS = 60
SNAPSHOT_BATCH = 1000  # rows per INSERT (4 parameters each)

ProductKey = tuple[str, str, str]  # (set code, type, name) as the CSVs spell them
Progress = Callable[[str, int, int | None], None]  # (stage, done, total)


# --- Reading ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HistoryRow:
    line: int
    set_code: str
    type: str
    name: str
    start: date
    end: date
    scraped_at: datetime
    price: Decimal
    volume: int
    redated: bool = False

    @property
    def product(self) -> ProductKey:
        return (self.set_code, self.type, self.name)

    @property
    def is_card(self) -> bool:
        return self.type.lower() == "card"


@dataclass(frozen=True, slots=True)
class Point:
    """One daily point of a product's series."""

    day: date
    price: Decimal
    volume: int


@dataclass
class HistoryReport:
    """What an import did (or, with dry_run, would do)."""

    rows: int = 0  # data rows in the file
    no_data: int = 0  # 0.0 price / no dates: TCGplayer had nothing for the period
    redated: int = 0  # moved one year back (see the module docstring)
    duplicates: int = 0  # an earlier scrape of a period replaced by a later one
    outliers: int = 0  # points dropped by the rolling-median rule
    products: int = 0
    cards: int = 0  # products matched to a card
    sealed: int = 0  # products matched to a sealed product
    unmatched_rows: int = 0
    prices_written: int = 0  # current values inserted or changed
    prices_unchanged: int = 0
    prices_held_back: int = 0  # by the outlier guard against a stored reference price
    prices_stale: int = 0  # the stored value is newer than the history's latest point
    snapshots_written: int = 0
    snapshots_unchanged: int = 0
    dry_run: bool = False
    run_id: int | None = None
    card_ids: set[int] = field(default_factory=set)
    sealed_ids: set[int] = field(default_factory=set)
    unmatched: list[ReportedError] = field(default_factory=list)
    errors: list[ReportedError] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.prices_written + self.snapshots_written

    def summary(self) -> str:
        verb = "would write" if self.dry_run else "wrote"
        return (f"{self.rows:,} rows ({self.no_data} without data, {self.redated:,} re-dated, "
                f"{self.duplicates:,} duplicates, {self.outliers} outliers, "
                f"{len(self.errors)} bad); {self.products} products: {self.cards} cards, "
                f"{self.sealed} sealed, {len(self.unmatched)} unmatched "
                f"({self.unmatched_rows:,} rows); {verb} {self.prices_written} prices "
                f"(={self.prices_unchanged}, {self.prices_stale} newer in the database, "
                f"{self.prices_held_back} held back) and {self.snapshots_written:,} daily "
                f"snapshots (={self.snapshots_unchanged:,})")

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items()
                if k not in {"card_ids", "sealed_ids", "unmatched", "errors"}}
        data["unmatched"] = [str(e) for e in self.unmatched]
        data["errors"] = [str(e) for e in self.errors]
        return data


def history_path(path: Path) -> Path:
    """`path` is the history CSV (plain or .gz) or a folder holding it."""
    path = Path(path)
    if path.is_dir():
        for candidate in (path / HISTORY_FILE, path / f"{HISTORY_FILE}.gz"):
            if candidate.exists():
                return candidate
        raise FileNotFoundError(f"no {HISTORY_FILE}(.gz) in {path}")
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    return path


def products_path_near(path: Path) -> Path | None:
    """The products CSV next to the history file, if there is one."""
    folder = path if path.is_dir() else path.parent
    for candidate in (folder / PRODUCTS_FILE, folder / f"{PRODUCTS_FILE}.gz"):
        if candidate.exists():
            return candidate
    return None


def _date(value: str, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a date (YYYY-MM-DD)") from None


def parse_row(raw: dict[str, str], line: int, *,
              today: date) -> HistoryRow | None:
    """One CSV row; None when it carries no data (price 0.0). Raises ValueError when bad."""
    get = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    if not get["set"] or not get["type"] or not get["name"]:
        raise ValueError("set, type and name are required")
    try:
        amount = Decimal(get["holofoil_price"] or "0")
    except ArithmeticError:
        raise ValueError(f"holofoil_price {get['holofoil_price']!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"holofoil_price {get['holofoil_price']!r} is not a price")
    if amount == 0:
        return None
    price = money(amount)
    if price is None:
        raise ValueError(f"holofoil_price {get['holofoil_price']!r} is out of range")
    if not get["period_start_date"] or not get["period_end_date"]:
        raise ValueError("a price without its period dates")
    start = _date(get["period_start_date"], "period_start_date")
    end = _date(get["period_end_date"], "period_end_date")
    if start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end})")
    try:
        scraped = datetime.fromisoformat(get["timestamp"])
    except ValueError:
        raise ValueError(f"timestamp {get['timestamp']!r} is not a date and time") from None
    # the tool writes UTC (it runs in GitHub Actions) without saying so
    scraped = scraped.replace(tzinfo=UTC) if scraped.tzinfo is None else scraped
    try:
        volume = int(get["volume"] or "0")
    except ValueError:
        raise ValueError(f"volume {get['volume']!r} is not a whole number") from None
    if volume < 0:
        raise ValueError(f"volume {volume} is negative")
    redated = False
    if end > scraped.date() + REDATE_AFTER:
        start, end, redated = _year_back(start), _year_back(end), True
        if end > scraped.date():
            raise ValueError(f"the period ends ({get['period_end_date']}) after it was "
                             f"scraped ({get['timestamp']})")
    if end > today:
        raise ValueError(f"the period ends in the future ({end})")
    return HistoryRow(line, get["set"], get["type"], get["name"], start, end, scraped, price,
                      volume, redated)


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def read_history(path: Path, report: HistoryReport, *,
                 progress: Progress | None = None) -> list[HistoryRow]:
    """Parse the CSV (plain or .gz). Bad rows are reported on `report`, not raised."""
    today = timezone.now().date()
    rows: list[HistoryRow] = []
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for line, raw in enumerate(reader, start=2):
            report.rows += 1
            try:
                row = parse_row(raw, line, today=today)
            except ValueError as exc:
                report.errors.append(ReportedError(raw.get("set") or "?", f"line {line}",
                                                   str(exc)))
                continue
            if row is None:
                report.no_data += 1
                continue
            report.redated += row.redated
            rows.append(row)
            if progress is not None and report.rows % 5000 == 0:
                progress("read", report.rows, None)
    if progress is not None:
        progress("read", report.rows, None)
    return rows


def product_ids(path: Path | None) -> dict[ProductKey, int]:
    """(set, type, name) -> TCGplayer product id, from the products CSV."""
    if path is None:
        return {}
    rows, _errors = read_rows(path)  # its bad rows are the products import's to report
    return {(r.set_code, r.type, r.name): r.product_id for r in rows}


def history_series(rows: Iterable[HistoryRow],
                   report: HistoryReport) -> dict[ProductKey, list[Point]]:
    """Each product's daily points, oldest first: one per end date (the latest scrape),
    scraper glitches dropped (see the module docstring)."""
    latest: dict[ProductKey, dict[date, HistoryRow]] = defaultdict(dict)
    for row in rows:
        by_day = latest[row.product]
        held = by_day.get(row.end)
        if held is not None:
            report.duplicates += 1
            if (held.scraped_at, held.line) > (row.scraped_at, row.line):
                continue
        by_day[row.end] = row
    series: dict[ProductKey, list[Point]] = {}
    for product, by_day in latest.items():
        days = sorted(by_day)
        series[product] = [Point(day, by_day[day].price, by_day[day].volume)
                           for day in _kept(days, [float(by_day[d].price) for d in days],
                                            report)]
    return series


def _kept(days: list[date], prices: list[float], report: HistoryReport) -> list[date]:
    """The days whose price is within OUTLIER_FACTOR of the median of the prices within
    OUTLIER_WINDOW_DAYS either side (a sorted window slides along the series)."""
    window = timedelta(days=OUTLIER_WINDOW_DAYS)
    factor = float(OUTLIER_FACTOR)
    kept: list[date] = []
    inside: list[float] = []  # sorted prices of days[low:high]
    low = high = 0
    for day, price in zip(days, prices, strict=True):
        while high < len(days) and days[high] <= day + window:
            bisect.insort(inside, prices[high])
            high += 1
        while days[low] < day - window:
            del inside[bisect.bisect_left(inside, prices[low])]
            low += 1
        middle = len(inside) // 2
        median = inside[middle] if len(inside) % 2 else (inside[middle - 1] + inside[middle]) / 2
        if price > median * factor or price * factor < median:
            report.outliers += 1
        else:
            kept.append(day)
    return kept


# --- Matching --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Item:
    card_id: int | None
    sealed_id: int | None
    variant: str


def _lines(rows: list[HistoryRow]) -> str:
    first, last = min(r.line for r in rows), max(r.line for r in rows)
    return f"lines {first}–{last} ({len(rows)} rows)" if len(rows) > 1 else f"line {first}"


def history_match(rows_by_product: dict[ProductKey, list[HistoryRow]],
                  ids: dict[ProductKey, int], report: HistoryReport) -> dict[ProductKey, Item]:
    """The catalogue item of each product; the rest is reported on `report.unmatched`."""
    tcg = TCG.objects.filter(slug=TCG_SLUG).first()
    sets = ({s.source_id: s for s in CardSet.objects.filter(tcg=tcg, is_synthetic=False)}
            if tcg else {})
    known = {source_id: s.name for source_id, s in sets.items()}
    sealed_products = list(SealedProduct.objects.filter(tcg=tcg)) if tcg else []
    card_products = {key for key in rows_by_product if key[1].lower() == "card"}
    wanted_ids = [ids[key] for key in card_products if key in ids]
    by_product_id: dict[int, list[CardInfo]] = defaultdict(list)
    for card in _cards(Card.objects.filter(tcg=tcg, is_synthetic=False,
                                           tcgplayer_product_id__in=wanted_ids)):
        by_product_id[card.tcgplayer_product_id].append(card)
    set_ids = {code_set_id(key[0]) for key in card_products} & set(sets)
    in_sets: dict[int, list[CardInfo]] = defaultdict(list)
    for card in _cards(Card.objects.filter(card_set__in=[sets[s] for s in set_ids])):
        in_sets[card.card_set_id].append(card)

    matched: dict[ProductKey, Item] = {}
    for key, rows in sorted(rows_by_product.items()):
        code, kind, name = key
        if tcg is None:
            problem = "the Pokémon game is not in the catalogue"
        elif kind.lower() == "card":
            item, problem = _match_card(key, ids.get(key), sets, known, in_sets,
                                        by_product_id)
        else:
            item, problem = _match_sealed(key, ids.get(key), sets, known, sealed_products)
        if problem is None:
            matched[key] = item
            continue
        report.unmatched_rows += len(rows)
        report.unmatched.append(ReportedError(code, _lines(rows),
                                              f"{kind} {name!r}: {problem}"))
    return matched


class CardInfo(NamedTuple):
    pk: int
    name: str
    number: str
    variants: list
    card_set_id: int
    tcgplayer_product_id: int | None


def _cards(queryset: QuerySet[Card]) -> Iterator[CardInfo]:
    for values in queryset.order_by().values_list(*CardInfo._fields):
        yield CardInfo(*values)


def _card_variant(card: CardInfo) -> str | None:
    finishes = [v for v in (card.variants or []) if isinstance(v, str)]
    if not finishes or CARD_VARIANT in finishes:
        return CARD_VARIANT
    return finishes[0] if len(finishes) == 1 else None


def _match_card(key: ProductKey, product_id: int | None, sets: dict[str, CardSet],
                known: dict[str, str], in_sets: dict[int, list[CardInfo]],
                by_product_id: dict[int, list[CardInfo]]) -> tuple[Item | None, str | None]:
    code, _kind, name = key
    try:
        card_name, number = split_card_name(name)
    except ValueError as exc:
        return None, str(exc)
    set_id = pokemontcg_set_id(code, "", known)
    by_number: list[CardInfo] = []
    if set_id is not None:
        by_number = [c for c in in_sets.get(sets[set_id].pk, [])
                     if normalise_number(c.number) == normalise_number(number)]
    by_name = [c for c in by_number if normalise_name(c.name) == normalise_name(card_name)]
    linked = by_product_id.get(product_id, []) if product_id is not None else []
    if len(by_name) > 1 or len(linked) > 1:
        return None, "more than one card fits; not guessing"
    if by_name and linked and by_name[0].pk != linked[0].pk:
        return None, (f"set, number and name give {by_name[0].name} #{by_name[0].number} but "
                      f"TCGplayer product {product_id} is linked to {linked[0].name} "
                      f"#{linked[0].number}")
    card = (by_name or linked or [None])[0]
    if card is None:
        if set_id is None:
            return None, f"set {code} is not in the catalogue"
        found = ", ".join(f"{c.name} #{c.number}" for c in by_number) or "no card"
        return None, f"no card with that number and name in {set_id} ({found})"
    variant = _card_variant(card)
    if variant is None:
        return None, (f"{card.name} #{card.number} exists in {', '.join(card.variants)}; "
                      f"the history does not say which")
    return Item(card.pk, None, variant), None


def _match_sealed(key: ProductKey, product_id: int | None, sets: dict[str, CardSet],
                  known: dict[str, str],
                  products: list[SealedProduct]) -> tuple[Item | None, str | None]:
    code, kind, name = key
    if product_id is not None:
        hits = [p for p in products if p.tcgplayer_product_id == product_id]
        if len(hits) == 1:
            return Item(None, hits[0].pk, SEALED_VARIANT), None
        if len(hits) > 1:
            return None, f"{len(hits)} sealed products have TCGplayer id {product_id}"
    set_id = pokemontcg_set_id(code, name, known)
    if set_id is None:
        return None, (f"no sealed product with TCGplayer id {product_id}, and set {code} is "
                      f"not in the catalogue" if product_id else
                      f"set {code} is not in the catalogue")
    wanted = sealed_kind(kind, name)
    hits = [p for p in products if p.card_set_id == sets[set_id].pk and p.kind == wanted]
    if len(hits) != 1:
        return None, f"{len(hits)} {wanted} products in {set_id}; not guessing"
    return Item(None, hits[0].pk, SEALED_VARIANT), None


# --- Writing ---------------------------------------------------------------------------------

def _recorded_at(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _price_rows(items: dict[ProductKey, Item]) -> dict[tuple[int | None, int | None, str], int]:
    """(card id, sealed id, variant) -> Price id of the items' history keys."""
    card_ids = [i.card_id for i in items.values() if i.card_id is not None]
    sealed_ids = [i.sealed_id for i in items.values() if i.sealed_id is not None]
    rows = Price.objects.filter(
        Q(card_id__in=card_ids) | Q(sealed_product_id__in=sealed_ids), source=PRICE_SOURCE,
        condition=Condition.NM, language="en", grade=RAW, currency=CURRENCY)
    return {(r.card_id, r.sealed_product_id, r.variant): r for r in rows}


def _history_write(series: dict[ProductKey, list[Point]], items: dict[ProductKey, Item],
                   report: HistoryReport, *, dry_run: bool,
                   progress: Progress | None) -> None:
    items = {key: item for key, item in items.items() if series.get(key)}
    existing = _price_rows(items)
    snapshots: dict[tuple[int, date], tuple] = {}
    if existing:
        for price_id, day, market, low, high, observations in PriceSnapshot.objects.filter(
                price_id__in=[p.pk for p in existing.values()]).values_list(
                "price_id", "date", "market_price", "low_price", "high_price",
                "observations"):
            snapshots[(price_id, day)] = (market, low, high, observations)

    upserts: list[PriceRow] = []
    for key, item in items.items():
        last = series[key][-1]
        at = _recorded_at(last.day)
        stored = existing.get((item.card_id, item.sealed_id, item.variant))
        if stored is not None:
            if stored.recorded_at > at:
                report.prices_stale += 1
                continue
            if (stored.recorded_at == at and stored.market_price == last.price
                    and stored.observations == last.volume):
                report.prices_unchanged += 1
                continue
        upserts.append(PriceRow(
            card_id=item.card_id, sealed_id=item.sealed_id, source=PRICE_SOURCE,
            variant=item.variant, condition=Condition.NM, language="en", grade=RAW,
            currency=CURRENCY, market=last.price, low=None, mid=None, high=None,
            observations=last.volume, recorded_at=at))
    if dry_run:
        report.prices_written = len(upserts)
    elif upserts:
        result = price_rows_upsert(upserts, notify=False)
        report.prices_written += result.written
        report.prices_held_back += result.outliers
        report.prices_stale += result.stale
        report.card_ids |= result.card_ids
        report.sealed_ids |= result.sealed_ids
        existing = _price_rows(items)

    pending: list[tuple[int | None, date, Decimal, int]] = []  # price id, day, price, volume
    for key, item in items.items():
        stored = existing.get((item.card_id, item.sealed_id, item.variant))
        price_id = stored.pk if stored is not None else None
        if price_id is None and not dry_run:
            continue  # not stored (cannot happen after the upsert: a new key is inserted)
        changed = False
        for point in series[key]:
            value = (point.price, None, None, point.volume)
            if price_id is not None and snapshots.get((price_id, point.day)) == value:
                report.snapshots_unchanged += 1
                continue
            pending.append((price_id, point.day, point.price, point.volume))
            changed = True
        if changed and item.card_id is not None:
            report.card_ids.add(item.card_id)
        elif changed:
            report.sealed_ids.add(item.sealed_id)
    report.snapshots_written = len(pending)
    if dry_run:
        report.card_ids.clear()
        report.sealed_ids.clear()
        return
    for start in range(0, len(pending), SNAPSHOT_BATCH):
        chunk = pending[start:start + SNAPSHOT_BATCH]
        _snapshots_upsert(chunk)
        if progress is not None:
            progress("write", start + len(chunk), len(pending))


def _snapshots_upsert(rows: list[tuple[int | None, date, Decimal, int]]) -> None:
    """One multi-row INSERT … ON CONFLICT (PostgreSQL and SQLite); bulk_create's per-object
    overhead was most of the import's time."""
    values = ", ".join(["(%s, %s, %s, NULL, NULL, %s)"] * len(rows))  # placeholders only
    sql = ("INSERT INTO pricing_pricesnapshot (price_id, date, market_price, low_price,"  # noqa: S608
           f" high_price, observations) VALUES {values}"
           " ON CONFLICT (price_id, date) DO UPDATE SET market_price = excluded.market_price,"
           " low_price = excluded.low_price, high_price = excluded.high_price,"
           " observations = excluded.observations")
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def _run_record(report: HistoryReport, started_at: datetime) -> ScrapeRun:
    problems = [str(e) for e in (*report.errors[:10], *report.unmatched[:10])]
    return ScrapeRun.objects.create(
        source=RUN_SOURCE, started_at=started_at, finished_at=timezone.now(), progress=100,
        status=ScrapeRun.Status.PARTIAL if report.errors else ScrapeRun.Status.OK,
        fetched=report.rows, written=report.snapshots_written,
        unmatched=report.unmatched_rows, invalid=len(report.errors),
        outliers=report.outliers + report.prices_held_back, error="\n".join(problems)[:4000])


def price_history_import(*, path: Path, products_path: Path | None = None,
                         dry_run: bool = False, record_unchanged: bool = True,
                         progress: Progress | None = None) -> HistoryReport:
    """Import the TCGplayer history CSV (see the module docstring). Idempotent: only what
    differs from the database is written. Atomic; afterwards the rolling medians are
    refreshed and `prices_changed` fires after commit for the items that changed. A
    ScrapeRun ("tcgplayer_history") records the counts — unless nothing changed and
    `record_unchanged` is false (the demo loader), or on a dry run."""
    started_at = timezone.now()
    path = history_path(path)
    products_path = Path(products_path) if products_path else products_path_near(path)
    report = HistoryReport(dry_run=dry_run)
    rows = read_history(path, report, progress=progress)
    by_product: dict[ProductKey, list[HistoryRow]] = defaultdict(list)
    for row in rows:
        by_product[row.product].append(row)
    report.products = len(by_product)
    series = history_series(rows, report)
    with transaction.atomic():
        items = history_match(by_product, product_ids(products_path), report)
        report.cards = sum(1 for i in items.values() if i.card_id is not None)
        report.sealed = len(items) - report.cards
        _history_write(series, items, report, dry_run=dry_run, progress=progress)
        if dry_run:
            return report
        if report.changed:
            price_reference_refresh()
            card_ids, sealed_ids = set(report.card_ids), set(report.sealed_ids)
            transaction.on_commit(lambda: prices_changed.send(
                sender=PriceRow, card_ids=card_ids, sealed_ids=sealed_ids,
                source=PRICE_SOURCE.value))
        if report.changed or record_unchanged or report.errors:
            report.run_id = _run_record(report, started_at).pk
    return report
