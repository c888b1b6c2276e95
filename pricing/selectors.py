"""Reads of the price book: a card's current prices, its snapshot series and their analysis.

Other parts of the pricing app import from here; the public names are stable:
`SOURCE_PREFERENCE`, `HISTORY_DAYS`, `TREND_PERIODS`, `card_price_book`, `card_price_books`,
`card_detail_prices`,
`card_price_list_qs`, `card_price_get`, `card_chart_snapshots`, `card_snapshot_range`,
`reference_series`, `series_points`, `change_pct`, `volatility`, `trend`,
`card_price_analysis`, `card_price_trend`, `sealed_price_history`.

Rules (also in docs/api-notes.md, "Price book reads"):
- **Reference series** of a card: its raw, NM price row, preferring language `en`, then the
  most snapshots in the last 90 days, then the source order of `SOURCE_PREFERENCE`, then the
  lowest id. `pricing.summaries` marks it `is_primary`.
- **change_Nd**: percent change between the series' latest snapshot and the latest snapshot
  dated at least N days before it; null when there is none.
- **volatility**: sample standard deviation of the daily log returns in the window, as a
  fraction (0.041 = 4.1 %). Snapshots may be days apart (the TCGplayer history has 3-day
  periods): a return over a gap of g days is divided by √g, its daily equivalent under a
  random walk. Needs 3 snapshots.
- **trend**: slope of the least-squares line through the window's snapshots, relative to
  their mean price, per week: above +1 %/week `rising`, below −1 %/week `falling`, else
  `stable`. Needs 3 snapshots on at least 2 different days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pricing.models import RAW, Condition, Price, PriceSnapshot, Source

# The reference series' source order when two rows tie on language and history.
SOURCE_PREFERENCE: tuple[str, ...] = (
    Source.TCGPLAYER, Source.PRICECHARTING, Source.SCRYFALL, Source.YGOPRODECK,
    Source.CARDMARKET, Source.CARDTRADER, Source.EBAY)
CONDITION_ORDER: tuple[str, ...] = tuple(Condition.values)  # NM, LP, MP, HP, DMG
REFERENCE_LANGUAGE = "en"
REFERENCE_WINDOW_DAYS = 90  # "most snapshots in the last 90 days"
HISTORY_DAYS: tuple[int, ...] = (7, 30, 90, 180, 365)
TREND_PERIODS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}
TREND_THRESHOLD_PCT_PER_WEEK = 1.0
MIN_SERIES_POINTS = 3
CENT = Decimal("0.01")

# The fields of a current price row as the API and the pages read them.
PRICE_FIELDS = ("id", "card_id", "sealed_product_id", "source", "variant", "condition",
                "language", "grade", "currency", "market_price", "low_price", "mid_price",
                "high_price", "observations", "recorded_at", "is_primary", "is_synthetic")


def _rank(field: str, order: Sequence[str]) -> Case:
    # Q(): `condition` is also When()'s own keyword.
    return Case(*(When(Q(**{field: value}), then=Value(index))
                  for index, value in enumerate(order)),
                default=Value(len(order)), output_field=IntegerField())


def _book_ordered(prices: QuerySet[Price]) -> QuerySet[Price]:
    """Raw before graded, then by condition (NM first), the reference row first, the source
    order, variant, English first, then language, grade, currency, id."""
    return prices.annotate(
        _graded=Case(When(grade=RAW, then=Value(0)), default=Value(1),
                     output_field=IntegerField()),
        _condition=_rank("condition", CONDITION_ORDER),
        _source=_rank("source", SOURCE_PREFERENCE),
        _foreign=Case(When(language=REFERENCE_LANGUAGE, then=Value(0)), default=Value(1),
                      output_field=IntegerField()),
    ).order_by("_graded", "_condition", "-is_primary", "_source", "variant", "_foreign",
               "language", "grade", "currency", "id")


# --- Current prices ---------------------------------------------------------------------------


# What the card detail's `prices` list reads of each row (plus what orders the book).
CARD_DETAIL_FIELDS = ("id", "card_id", "source", "market_price", "currency", "variant",
                      "condition", "language", "grade", "is_primary")
_SOURCE_RANK = {source: rank for rank, source in enumerate(SOURCE_PREFERENCE)}
_CONDITION_RANK = {condition: rank for rank, condition in enumerate(CONDITION_ORDER)}


def _book_key(row: dict[str, Any]) -> tuple:
    """The order of `_book_ordered`, for rows sorted in Python."""
    return (row["grade"] != RAW, _CONDITION_RANK.get(row["condition"], len(CONDITION_ORDER)),
            not row["is_primary"], _SOURCE_RANK.get(row["source"], len(SOURCE_PREFERENCE)),
            row["variant"], row["language"] != REFERENCE_LANGUAGE, row["language"],
            row["grade"], row["currency"], row["id"])


def card_price_books(*, card_ids: Iterable[int], fields: Sequence[str] = PRICE_FIELDS
                     ) -> dict[int, list[dict[str, Any]]]:
    """Every current price row of these cards (one query), each card's rows in book order;
    `fields` narrows the columns read (the ordering columns are always read). The card detail
    calls this on every request: an unordered query sorted in Python (a few dozen rows)
    costs a fraction of compiling the ordered one."""
    ids = list(card_ids)
    books: dict[int, list[dict[str, Any]]] = {card_id: [] for card_id in ids}
    if not ids:
        return books
    prices = Price.objects.filter(card_id=ids[0]) if len(ids) == 1 else \
        Price.objects.filter(card_id__in=ids)
    for row in prices.values(*dict.fromkeys([*fields, *CARD_DETAIL_FIELDS])):
        books[row["card_id"]].append(row)
    for rows in books.values():
        rows.sort(key=_book_key)
    return books


def card_price_book(*, card_id: int) -> list[dict[str, Any]]:
    """The card's current price book: one entry per price row (every source, variant,
    condition, language and grade), raw NM rows first."""
    return card_price_books(card_ids=[card_id])[card_id]


def card_detail_prices(*, card_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The card detail's `prices` entries of these cards (one query): every current row as
    source, market_price (a number), currency, variant, condition, language and grade, in
    book order. The hottest read of the price book (card detail p95 ≤ 10 ms): plain SQL, no
    queryset to compile, and the driver's values used as they come (a number for the price
    on both databases)."""
    ids = list(card_ids)
    books: dict[int, list[tuple]] = {card_id: [] for card_id in ids}
    if not ids:
        return {}
    with connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(ids))
        cursor.execute(
            "SELECT card_id, grade, condition, is_primary, source, variant, language,"  # noqa: S608
            f" currency, id, market_price FROM pricing_price WHERE card_id IN ({placeholders})",
            ids)
        for row in cursor.fetchall():
            books[row[0]].append(row)
    out: dict[int, list[dict[str, Any]]] = {}
    for card_id, rows in books.items():
        rows.sort(key=lambda r: (
            r[1] != RAW, _CONDITION_RANK.get(r[2], len(CONDITION_ORDER)), not r[3],
            _SOURCE_RANK.get(r[4], len(SOURCE_PREFERENCE)), r[5], r[6] != REFERENCE_LANGUAGE,
            r[6], r[1], r[7], r[8]))  # = _book_key
        out[card_id] = [
            {"source": r[4], "market_price": None if r[9] is None else float(r[9]),
             "currency": r[7], "variant": r[5], "condition": r[2], "language": r[6],
             "grade": r[1]} for r in rows]
    return out


def card_price_list_qs(*, card_id: int, source: str | None = None,
                       variant: str | None = None) -> QuerySet[Price]:
    """The card's price records in book order, optionally of one source and/or variant."""
    prices = Price.objects.filter(card_id=card_id)
    if source:
        prices = prices.filter(source=source)
    if variant:
        prices = prices.filter(variant=variant)
    return _book_ordered(prices)


def card_price_get(*, card_id: int, price_id: int) -> Price:
    """One price record of the card; a record of another card is not found either."""
    price = Price.objects.filter(pk=price_id, card_id=card_id).order_by().first()
    if price is None:
        raise Http404("Price not found")
    return price


# --- Snapshots --------------------------------------------------------------------------------


def today() -> date:
    return timezone.now().date()


def card_chart_snapshots(*, card_id: int, since: date, source: str | None = None,
                         variant: str | None = None) -> list[dict[str, Any]]:
    """Daily snapshots of the card's raw NM rows (every source, variant and language) dated on
    or after `since`, oldest first; one query."""
    snapshots = PriceSnapshot.objects.filter(
        price__card_id=card_id, price__grade=RAW, price__condition=Condition.NM,
        date__gte=since, market_price__isnull=False)
    if source:
        snapshots = snapshots.filter(price__source=source)
    if variant:
        snapshots = snapshots.filter(price__variant=variant)
    return list(snapshots.annotate(_source=_rank("price__source", SOURCE_PREFERENCE))
                .order_by("date", "_source", "price__variant", "price__language",
                          "price__currency", "price_id")
                .values("date", "price_id", "price__source", "price__variant",
                        "price__language", "price__currency", "market_price"))


def card_snapshot_range(*, card_id: int, start: date, end: date,
                        source: str | None = None) -> list[dict[str, Any]]:
    """Every snapshot of every price row of the card (graded and non-NM rows too) dated from
    `start` to `end` inclusive, oldest first; one query."""
    snapshots = PriceSnapshot.objects.filter(price__card_id=card_id, date__gte=start,
                                             date__lte=end)
    if source:
        snapshots = snapshots.filter(price__source=source)
    return list(snapshots.annotate(_source=_rank("price__source", SOURCE_PREFERENCE))
                .order_by("date", "_source", "price__variant", "price__condition",
                          "price__language", "price__grade", "price__currency", "price_id")
                .values("date", "price_id", "price__source", "price__variant",
                        "price__condition", "price__language", "price__grade",
                        "price__currency", "market_price", "low_price", "high_price",
                        "observations"))


def sealed_price_history(*, sealed_id: int) -> list[dict[str, Any]]:
    """A sealed product's dated prices, oldest first: every snapshot of its raw rows (date,
    source, market_price, currency, variant); one query."""
    return [
        {"date": row["date"].isoformat(), "source": row["price__source"],
         "market_price": float(row["market_price"]), "currency": row["price__currency"],
         "variant": row["price__variant"]}
        for row in PriceSnapshot.objects.filter(
            price__sealed_product_id=sealed_id, price__grade=RAW, market_price__isnull=False)
        .annotate(_source=_rank("price__source", SOURCE_PREFERENCE))
        .order_by("date", "_source", "price__variant", "price__currency", "price_id")
        .values("date", "price__source", "price__variant", "price__currency", "market_price")
    ]


# --- The reference series and its analysis ----------------------------------------------------


@dataclass(frozen=True)
class SeriesRef:
    """The price row an analysis was computed on."""

    price_id: int
    source: str
    variant: str
    language: str
    currency: str


Point = tuple[date, Decimal]


def reference_series(*, card_id: int, source: str | None = None, variant: str | None = None,
                     on: date | None = None) -> SeriesRef | None:
    """The series an analysis reads: without filters the card's reference row (`is_primary`,
    or by the same rule while the summaries have not run); with a source and/or variant, the
    best raw NM row among those, by the same rule. One query."""
    since = (on or today()) - timedelta(days=REFERENCE_WINDOW_DAYS)
    rows = Price.objects.filter(card_id=card_id, grade=RAW, condition=Condition.NM,
                                market_price__isnull=False)
    if source:
        rows = rows.filter(source=source)
    if variant:
        rows = rows.filter(variant=variant)
    row = (rows.annotate(
        _foreign=Case(When(language=REFERENCE_LANGUAGE, then=Value(0)), default=Value(1),
                      output_field=IntegerField()),
        _recent=Count("snapshots", filter=Q(snapshots__date__gte=since)),
        _source=_rank("source", SOURCE_PREFERENCE))
        .order_by("-is_primary", "_foreign", "-_recent", "_source", "id")
        .values("id", "source", "variant", "language", "currency").first())
    if row is None:
        return None
    return SeriesRef(price_id=row["id"], source=row["source"], variant=row["variant"],
                     language=row["language"], currency=row["currency"])


def series_points(*, price_id: int, since: date | None = None) -> list[Point]:
    """(date, market price) of a price row's snapshots, oldest first."""
    return [(day, price) for day, price, _obs in _series_rows(price_id, since)]


def _series_rows(price_id: int, since: date | None) -> list[tuple[date, Decimal, int]]:
    snapshots = PriceSnapshot.objects.filter(price_id=price_id, market_price__isnull=False)
    if since is not None:
        snapshots = snapshots.filter(date__gte=since)
    return [(day, Decimal(price), observations) for day, price, observations in
            snapshots.order_by("date").values_list("date", "market_price", "observations")]


def _window(points: Sequence[Point], since: date) -> list[Point]:
    return [point for point in points if point[0] >= since]


def change_pct(points: Sequence[Point], days: int) -> Decimal | None:
    """Percent change from the latest snapshot dated `days` to `2 × days` before the latest
    one to the latest one (2 decimals; the market movers' rule); None when there is no such
    earlier snapshot (a gap longer than that is no `days`-day change)."""
    if not points:
        return None
    latest_day, latest = points[-1]
    cutoff = latest_day - timedelta(days=days)
    floor = latest_day - timedelta(days=2 * days)
    earlier = [price for day, price in points if floor <= day <= cutoff]
    if not earlier or earlier[-1] <= 0:
        return None
    return ((latest - earlier[-1]) / earlier[-1] * 100).quantize(CENT, rounding=ROUND_HALF_UP)


def volatility(points: Sequence[Point]) -> float | None:
    """Sample std of the daily log returns (gaps scaled by √days) as a fraction, 4 decimals."""
    if len(points) < MIN_SERIES_POINTS:
        return None
    returns = []
    for (day_a, price_a), (day_b, price_b) in zip(points, points[1:], strict=False):
        gap = (day_b - day_a).days
        if gap <= 0 or price_a <= 0 or price_b <= 0:
            continue
        returns.append(math.log(float(price_b) / float(price_a)) / math.sqrt(gap))
    if len(returns) < 2:
        return None
    mean = sum(returns) / len(returns)
    variance = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    return round(math.sqrt(variance), 4)


@dataclass(frozen=True)
class Trend:
    direction: str  # rising | falling | stable
    slope_per_day: float  # currency units per day
    pct_per_week: float  # slope × 7 relative to the mean price, in percent


def trend(points: Sequence[Point]) -> Trend | None:
    """Least-squares slope over the points, classified at ±1 % of the mean price per week."""
    if len(points) < MIN_SERIES_POINTS:
        return None
    first = points[0][0]
    xs = [float((day - first).days) for day, _price in points]
    ys = [float(price) for _day, price in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0 or mean_y <= 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    weekly = slope * 7 / mean_y * 100
    if weekly > TREND_THRESHOLD_PCT_PER_WEEK:
        direction = "rising"
    elif weekly < -TREND_THRESHOLD_PCT_PER_WEEK:
        direction = "falling"
    else:
        direction = "stable"
    return Trend(direction=direction, slope_per_day=round(slope, 4),
                 pct_per_week=round(weekly, 2))


@dataclass(frozen=True)
class PriceAnalysis:
    series: SeriesRef | None
    days: int
    change_7d: Decimal | None
    change_30d: Decimal | None
    change_90d: Decimal | None
    volatility: float | None
    trend: str | None
    data_points: int  # snapshots of the series in the window
    observations: int  # listings or sales behind those snapshots (0 when sources don't say)
    reason: str | None  # why some figures are null


def _no_series_reason(source: str | None, variant: str | None) -> str:
    if source or variant:
        return _("No raw near-mint price of this card matches the source and variant filter.")
    return _("No raw near-mint price is recorded for this card yet.")


def card_price_analysis(*, card_id: int, days: int, source: str | None = None,
                        variant: str | None = None) -> PriceAnalysis:
    """change_7d/30d/90d over the whole series; volatility and trend over the last `days`."""
    series = reference_series(card_id=card_id, source=source, variant=variant)
    if series is None:
        return PriceAnalysis(None, days, None, None, None, None, None, 0, 0,
                             _no_series_reason(source, variant))
    since = today() - timedelta(days=days)
    rows = _series_rows(series.price_id, None)
    points = [(day, price) for day, price, _obs in rows]
    window = _window(points, since)
    changes = {n: change_pct(points, n) for n in (7, 30, 90)}
    vol = volatility(window)
    direction = trend(window)
    reasons = []
    missing = [f"change_{n}d" for n, value in changes.items() if value is None]
    if missing:
        reasons.append(_("%(fields)s: no snapshot that many days before the latest one")
                       % {"fields": ", ".join(missing)})
    missing = [name for name, value in (("volatility", vol), ("trend", direction))
               if value is None]
    if missing:
        reasons.append(_("%(fields)s: fewer than %(n)d snapshots on different days in the "
                         "last %(days)d days") % {"fields": ", ".join(missing),
                                                   "n": MIN_SERIES_POINTS, "days": days})
    return PriceAnalysis(series, days, changes[7], changes[30], changes[90], vol,
                         direction.direction if direction else None, len(window),
                         sum(obs for day, _price, obs in rows if day >= since),
                         "; ".join(reasons) or None)


@dataclass(frozen=True)
class PriceTrend:
    series: SeriesRef | None
    period: str
    days: int
    start_date: date | None
    end_date: date | None
    start_price: Decimal | None
    end_price: Decimal | None
    change_abs: Decimal | None
    change_pct: Decimal | None
    low: Decimal | None
    high: Decimal | None
    data_points: int
    observations: int
    trend: str | None
    slope_per_day: float | None
    pct_per_week: float | None
    volatility: float | None
    reason: str | None


def card_price_trend(*, card_id: int, period: str) -> PriceTrend:
    """The reference series over the period (7d, 30d, 90d, 1y): first and last snapshot in
    the window, their change, the range, trend and volatility."""
    days = TREND_PERIODS[period]
    since = today() - timedelta(days=days)
    series = reference_series(card_id=card_id)
    rows = _series_rows(series.price_id, since) if series is not None else []
    points = [(day, price) for day, price, _obs in rows]
    direction = trend(points)
    vol = volatility(points)
    reason = None
    if series is None:
        reason = _no_series_reason(None, None)
    elif not points:
        reason = _("No snapshot of the reference series in the last %(days)d days.") % {
            "days": days}
    elif direction is None:
        reason = _("trend, volatility: fewer than %(n)d snapshots on different days in the "
                   "last %(days)d days") % {"n": MIN_SERIES_POINTS, "days": days}
    start = points[0] if len(points) >= 2 else None
    end = points[-1] if points else None
    change_abs = (end[1] - start[1]) if start and end else None
    pct = ((end[1] - start[1]) / start[1] * 100).quantize(CENT, rounding=ROUND_HALF_UP) \
        if start and end and start[1] > 0 else None
    if points and start is None and reason is None:
        reason = _("change: only one snapshot in the period")
    return PriceTrend(
        series=series, period=period, days=days,
        start_date=start[0] if start else None, end_date=end[0] if end else None,
        start_price=start[1] if start else None, end_price=end[1] if end else None,
        change_abs=change_abs, change_pct=pct,
        low=min((p for _d, p in points), default=None),
        high=max((p for _d, p in points), default=None),
        data_points=len(points), observations=sum(obs for _d, _p, obs in rows),
        trend=direction.direction if direction else None,
        slope_per_day=direction.slope_per_day if direction else None,
        pct_per_week=direction.pct_per_week if direction else None,
        volatility=vol, reason=reason)


# --- Platform counts (the csm counts registry: /api/health, /api/stats) -------------------


def platform_counts() -> dict[str, int]:
    """Real price rows (synthetic benchmark rows are not prices anyone quotes) and active
    alerts."""
    from pricing.models import PriceAlert

    return {"prices": Price.objects.filter(is_synthetic=False).count(),
            "active_alerts": PriceAlert.objects.filter(is_active=True).count()}


def platform_tcg_counts() -> dict[str, dict[str, Any]]:
    """Per TCG: {slug: {"prices": n}} for the real card prices (one grouped query)."""
    rows = (Price.objects.filter(is_synthetic=False, card__isnull=False).order_by()
            .values("card__tcg__slug").annotate(n=Count("pk")))
    return {row["card__tcg__slug"]: {"prices": row["n"]} for row in rows}
