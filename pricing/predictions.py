"""Price predictions: a straight line fitted to a card's reference series.

The series. A card's reference series is its `Price` row with `is_primary` (kept by
pricing.summaries), or — while a card has none — its raw NM row with the most daily points.
The contract names PriceCharting's daily history, so a raw NM PriceCharting row is preferred
whenever it has at least as many points as that choice. Ties after that go to the primary row,
then to the lowest id.

The model. scikit-learn's `LinearRegression` (ordinary least squares) on (day, market price)
over the window ending at the series' latest point (`as_of`): twice the horizon, at least 30
and at most 365 days (`window_for`; the walk-forward backtest on the real TCGplayer history
found short windows best for short horizons and long ones for long horizons). The horizon
counts from `as_of` — today for a card priced daily; a stale series says so in `notes`.
- confidence by points used: low < 10, medium 10–19, high ≥ 20;
- trend by the fitted slope over 30 days relative to the window's mean price: rising at
  ≥ +2 %, falling at ≤ −2 %, stable in between;
- fewer than `MIN_POINTS` points: no forecast, nulls plus a reason;
- a fitted value below 0.01 is floored at 0.01 (a price is never negative) and noted.

The market-wide list (`trending_compute`) fits every reference series at once with the same
least squares, as sums aggregated in SQL and closed-form slopes in numpy, so 133k cards are
one query and a few array operations rather than 133k model fits.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from sklearn.linear_model import LinearRegression

from catalogue.models import Card
from pricing.models import RAW, Condition, Price, PriceSnapshot, Source

WINDOW_MIN_DAYS = 30
WINDOW_MAX_DAYS = 365
MIN_POINTS = 3
DAYS_AHEAD_DEFAULT = 30
DAYS_AHEAD_MIN = 7
DAYS_AHEAD_MAX = 365
FUTURE_STEP_DAYS = 7
STABLE_BAND_PCT = 2.0  # |fitted move over 30 days| below this share of the mean: stable
STALE_AFTER_DAYS = 14  # a series whose latest point is older gets a note
CONFIDENCE_MEDIUM, CONFIDENCE_HIGH = 10, 20
CENT = Decimal("0.01")
PRICE_FLOOR = CENT

TRENDING_MAX = 50
TRENDING_DAYS_AHEAD = DAYS_AHEAD_DEFAULT
TRENDING_CACHE_KEY = "pricing:predictions:trending:v1"
TRENDING_CACHE_SECONDS = 36 * 3600  # refreshed after scrapes and daily; kept until replaced

PREFERRED_SOURCE = Source.PRICECHARTING


# --- The reference series ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Series:
    """One price row's daily market prices, oldest first (dates are unique)."""

    price_id: int
    card_id: int
    source: str
    variant: str
    currency: str
    is_primary: bool
    dates: tuple[date, ...]
    prices: tuple[Decimal, ...]

    @property
    def as_of(self) -> date | None:
        return self.dates[-1] if self.dates else None

    def window(self, days: int | None) -> Series:
        """The points within `days` days ending at the latest point (all with None)."""
        if days is None or not self.dates:
            return self
        since = self.dates[-1] - timedelta(days=days)
        start = next(i for i, d in enumerate(self.dates) if d > since)
        return Series(self.price_id, self.card_id, self.source, self.variant, self.currency,
                      self.is_primary, self.dates[start:], self.prices[start:])


RAW_NM = Q(grade=RAW, condition=Condition.NM)


def candidate_rows() -> QuerySet[Price]:
    """Card rows that may be a reference series: primary rows and raw NM rows (which of them
    qualify depends on the card's other rows, see `choose_reference`)."""
    return Price.objects.filter(card__isnull=False).filter(Q(is_primary=True) | RAW_NM)


def reference_candidates() -> QuerySet[Price]:
    """Card price rows that can be a reference series, decided in SQL for the whole market:
    the primary rows, PriceCharting's raw NM rows, and every raw NM row of a card that has no
    primary row yet."""
    has_primary = Exists(Price.objects.filter(card_id=OuterRef("card_id"), is_primary=True))
    return Price.objects.filter(card__isnull=False).filter(
        Q(is_primary=True) | (RAW_NM & (Q(source=PREFERRED_SOURCE) | ~has_primary)))


def _preference(series: Series) -> tuple:
    return (len(series.dates), series.source == PREFERRED_SOURCE, series.is_primary,
            -series.price_id)


def choose_reference(candidates: Iterable[Series]) -> Series | None:
    """One card's reference series among its `candidate_rows()` series: with a primary row,
    only it and PriceCharting rows compete. The most points wins; ties: PriceCharting, then
    primary, then the lowest id."""
    pool = [s for s in candidates if s.dates]
    if any(s.is_primary for s in pool):
        pool = [s for s in pool if s.is_primary or s.source == PREFERRED_SOURCE]
    return max(pool, key=_preference, default=None)


_SERIES_FIELDS = ("price_id", "price__card_id", "price__source", "price__variant",
                  "price__currency", "price__is_primary", "date", "market_price")


def _group_series(rows: Iterable[tuple]) -> Iterator[Series]:
    """Rows of `_SERIES_FIELDS` ordered by price id and date -> one Series per price row."""
    current: list[tuple] = []
    for row in rows:
        if current and row[0] != current[0][0]:
            yield _series_of(current)
            current = []
        current.append(row)
    if current:
        yield _series_of(current)


def _series_of(rows: list[tuple]) -> Series:
    first = rows[0]
    return Series(price_id=first[0], card_id=first[1], source=first[2], variant=first[3],
                  currency=first[4], is_primary=bool(first[5]),
                  dates=tuple(r[6] for r in rows),
                  prices=tuple(Decimal(str(r[7])).quantize(CENT) for r in rows))


def _snapshots_of(card_ids: Sequence[int], *, synthetic: bool = True) -> QuerySet:
    rows = PriceSnapshot.objects.filter(
        Q(price__is_primary=True) | Q(price__grade=RAW, price__condition=Condition.NM),
        price__card_id__in=list(card_ids), market_price__isnull=False)
    if not synthetic:
        rows = rows.filter(price__is_synthetic=False)
    return rows.order_by("price_id", "date").values_list(*_SERIES_FIELDS)


def card_reference_series(*, card_id: int,
                          window: int | None = WINDOW_MAX_DAYS) -> Series | None:
    """The card's reference series within `window` days of its latest point (one query)."""
    windowed = [series.window(window) for series in _group_series(_snapshots_of([card_id]))]
    return choose_reference(windowed)


def reference_series_by_card(*, card_ids: Sequence[int], window: int | None = None,
                             synthetic: bool = True) -> dict[int, Series]:
    """Reference series of many cards (one query); cards without history are left out.
    `synthetic=False` leaves synthetic price rows out."""
    rows = _snapshots_of(card_ids, synthetic=synthetic)
    by_card: dict[int, list[Series]] = defaultdict(list)
    for series in _group_series(rows.iterator(chunk_size=5000)):
        by_card[series.card_id].append(series.window(window))
    chosen = {card_id: choose_reference(group) for card_id, group in by_card.items()}
    return {card_id: series for card_id, series in chosen.items() if series is not None}


# --- The model -------------------------------------------------------------------------------


def window_for(days_ahead: int) -> int:
    """Training window for a horizon: twice the horizon within [30, 365] days."""
    return min(WINDOW_MAX_DAYS, max(WINDOW_MIN_DAYS, 2 * days_ahead))


def fit_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through the points (scikit-learn)."""
    model = LinearRegression().fit(np.asarray(x, dtype=float).reshape(-1, 1),
                                   np.asarray(y, dtype=float))
    return float(model.coef_[0]), float(model.intercept_)


def fit_lines(n: np.ndarray, sx: np.ndarray, sy: np.ndarray, sxx: np.ndarray,
              sxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts of many least-squares lines from their sums (n ≥ 2 distinct x):
    the closed form of what `fit_line` computes."""
    den = n * sxx - sx * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(den > 0, (n * sxy - sx * sy) / den, 0.0)
    return slope, (sy - slope * sx) / n


def confidence_for(points: int) -> str:
    if points >= CONFIDENCE_HIGH:
        return "high"
    return "medium" if points >= CONFIDENCE_MEDIUM else "low"


def trend_pct_30d(slope: Any, mean: Any) -> Any:
    """The fitted line's move over 30 days as a percentage of the window's mean price."""
    return np.asarray(slope, dtype=float) * 30 / np.asarray(mean, dtype=float) * 100


def trend_for(slope: float, mean: float) -> str:
    pct = float(trend_pct_30d(slope, mean))
    if pct >= STABLE_BAND_PCT:
        return "rising"
    return "falling" if pct <= -STABLE_BAND_PCT else "stable"


def money(value: float) -> Decimal:
    """A fitted value as a price: cents, never below PRICE_FLOOR."""
    amount = Decimal(repr(float(value))).quantize(CENT, rounding=ROUND_HALF_UP)
    return max(amount, PRICE_FLOOR)


def change_pct(new: Decimal, old: Decimal) -> float:
    return round(float((new - old) / old * 100), 2)


def future_days(days_ahead: int) -> list[int]:
    """Weekly points up to the horizon, plus the horizon itself."""
    days = list(range(FUTURE_STEP_DAYS, days_ahead + 1, FUTURE_STEP_DAYS))
    if not days or days[-1] != days_ahead:
        days.append(days_ahead)
    return days


@dataclass(frozen=True)
class Forecast:
    data_points: int
    current_price: Decimal | None
    predicted_price: Decimal | None = None
    predicted_change_pct: float | None = None
    confidence: str | None = None
    trend: str | None = None
    slope_per_day: float | None = None
    future_points: list[tuple[date, Decimal]] = field(default_factory=list)
    as_of: date | None = None
    source: str | None = None
    variant: str | None = None
    currency: str | None = None
    window_days: int | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)


def forecast(series: Series | None, *, days_ahead: int, today: date) -> Forecast:
    """Fit the series over `window_for(days_ahead)` days and extrapolate `days_ahead` days
    past its latest point."""
    window = window_for(days_ahead)
    series = series.window(window) if series is not None else None
    if series is None or len(series.dates) < MIN_POINTS:
        points = len(series.dates) if series else 0
        return Forecast(
            window_days=window,
            data_points=points, current_price=series.prices[-1] if points else None,
            as_of=series.as_of if series else None,
            source=series.source if points else None, variant=series.variant if points else None,
            currency=series.currency if points else None,
            reason=_("not enough price history: a forecast needs at least %(n)d daily prices")
            % {"n": MIN_POINTS})
    as_of = series.dates[-1]
    x = np.array([(d - as_of).days for d in series.dates], dtype=float)
    y = np.array([float(p) for p in series.prices])
    slope, intercept = fit_line(x, y)
    current = series.prices[-1]
    raw_future = [(day, intercept + slope * day) for day in future_days(days_ahead)]
    predicted = money(intercept + slope * days_ahead)
    notes: list[str] = []
    if any(value < float(PRICE_FLOOR) for _day, value in raw_future):
        notes.append(_("The fitted line falls below zero; predicted prices are floored at "
                       "0.01."))
    if (today - as_of).days > STALE_AFTER_DAYS:
        notes.append(_("The latest price is from %(date)s; the forecast counts from that day.")
                     % {"date": as_of.isoformat()})
    return Forecast(
        data_points=len(series.dates), current_price=current, predicted_price=predicted,
        predicted_change_pct=change_pct(predicted, current),
        confidence=confidence_for(len(series.dates)),
        trend=trend_for(slope, float(y.mean())), slope_per_day=round(slope, 4),
        future_points=[(as_of + timedelta(days=day), money(value)) for day, value in raw_future],
        as_of=as_of, source=series.source, variant=series.variant, currency=series.currency,
        window_days=window, notes=notes)


def card_forecast(*, card: Card, days_ahead: int = DAYS_AHEAD_DEFAULT,
                  today: date | None = None) -> Forecast:
    series = card_reference_series(card_id=card.pk, window=window_for(days_ahead))
    return forecast(series, days_ahead=days_ahead, today=today or timezone.now().date())


# --- Trending predictions (market-wide, precomputed) -----------------------------------------


_SUMS = ("COUNT(*) AS n, SUM(x) AS sx, SUM(y) AS sy, SUM(x * x) AS sxx, SUM(x * y) AS sxy")


def _aggregates_sql(candidates_sql: str) -> str:
    """One row per candidate series with ≥ MIN_POINTS points in its window: price id, card id,
    source, is_primary, the least-squares sums (x in days relative to the latest point), the
    latest date and price, currency. Parameters: the candidates', window days, MIN_POINTS."""
    # Only fixed fragments and ORM-compiled SQL are interpolated; values are parameters.
    if connection.vendor == "postgresql":
        # Per series: its latest point, then its window, both ranges of the (price, date)
        # index — the work grows with the windows, not with the whole history.
        return (
            f"WITH cand AS ({candidates_sql})"  # noqa: S608
            " SELECT c.id, c.card_id, c.source, c.is_primary, a.n, a.sx, a.sy, a.sxx, a.sxy,"
            "  l.date, l.market_price, c.currency"
            " FROM cand c"
            " CROSS JOIN LATERAL (SELECT s.date, s.market_price FROM pricing_pricesnapshot s"
            "  WHERE s.price_id = c.id AND s.market_price IS NOT NULL"
            "  ORDER BY s.date DESC LIMIT 1) l"
            f" CROSS JOIN LATERAL (SELECT {_SUMS} FROM ("
            "  SELECT (s.date - l.date)::float8 AS x, s.market_price::float8 AS y"
            "  FROM pricing_pricesnapshot s WHERE s.price_id = c.id"
            "  AND s.market_price IS NOT NULL AND s.date > l.date - %s::int) pts) a"
            " WHERE a.n >= %s")
    return (
        f"WITH cand AS ({candidates_sql}),"  # noqa: S608
        " last AS (SELECT s.price_id, MAX(s.date) AS d FROM pricing_pricesnapshot s"
        "  WHERE s.price_id IN (SELECT id FROM cand) AND s.market_price IS NOT NULL"
        "  GROUP BY s.price_id),"
        f" agg AS (SELECT price_id, {_SUMS} FROM ("
        "  SELECT s.price_id, julianday(s.date) - julianday(l.d) AS x,"
        "   CAST(s.market_price AS REAL) AS y FROM pricing_pricesnapshot s"
        "   JOIN last l ON l.price_id = s.price_id"
        "   WHERE s.market_price IS NOT NULL AND s.date > date(l.d, '-' || %s || ' days')) pts"
        "  GROUP BY price_id HAVING COUNT(*) >= %s)"
        " SELECT a.price_id, p.card_id, p.source, p.is_primary, a.n, a.sx, a.sy, a.sxx, a.sxy,"
        "  l.d, c.market_price, p.currency"
        " FROM agg a JOIN last l ON l.price_id = a.price_id"
        " JOIN pricing_price p ON p.id = a.price_id"
        " JOIN pricing_pricesnapshot c ON c.price_id = a.price_id AND c.date = l.d")


def _series_sums(window: int) -> list[tuple]:
    cand_sql, cand_params = reference_candidates().values(
        "id", "card_id", "source", "is_primary", "currency").query.sql_with_params()
    params = [*cand_params, window, MIN_POINTS]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_aggregates_sql(cand_sql), params)
            return cursor.fetchall()
    with transaction.atomic(), connection.cursor() as cursor:
        # Index lookups per series: JIT compilation (~1 s) would cost more than it saves.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_aggregates_sql(cand_sql), params)
        return cursor.fetchall()


def trending_compute(*, days_ahead: int = TRENDING_DAYS_AHEAD,
                     keep: int = TRENDING_MAX) -> dict[str, Any]:
    """Every card's forecast at `days_ahead`, vectorised; the `keep` rising cards with the
    largest positive predicted change, best first. Two queries (on PostgreSQL in a
    transaction that turns JIT off)."""
    computed_at = timezone.now()
    rows = _series_sums(window_for(days_ahead))
    empty = {"items": [], "total": 0, "cards_considered": 0, "days_ahead": days_ahead,
             "window_days": window_for(days_ahead), "computed_at": computed_at}
    if not rows:
        return empty
    price_id = np.array([r[0] for r in rows], dtype=np.int64)
    card_id = np.array([r[1] for r in rows], dtype=np.int64)
    preferred = np.array([r[2] == PREFERRED_SOURCE for r in rows])
    primary = np.array([bool(r[3]) for r in rows])
    n, sx, sy, sxx, sxy = (np.array([float(r[i]) for r in rows]) for i in range(4, 9))

    # One series per card: most points, then PriceCharting, then primary, then lowest id.
    order = np.lexsort((price_id, ~primary, ~preferred, -n, card_id))
    _cards, first = np.unique(card_id[order], return_index=True)
    pick = order[first]

    slope, intercept = fit_lines(n[pick], sx[pick], sy[pick], sxx[pick], sxy[pick])
    current = np.array([float(rows[i][10]) for i in pick])
    predicted = np.maximum(intercept + slope * days_ahead, float(PRICE_FLOOR))
    pct = (predicted - current) / current * 100
    rising = (trend_pct_30d(slope, sy[pick] / n[pick]) >= STABLE_BAND_PCT) & (pct > 0)
    ranked = np.flatnonzero(rising)
    ranked = ranked[np.lexsort((card_id[pick][ranked], -pct[ranked]))][:keep]

    cards = {cid: (name, set_name, slug) for cid, name, set_name, slug in Card.objects.filter(
        pk__in=[int(card_id[pick][i]) for i in ranked]).values_list(
        "id", "name", "card_set__name", "tcg__slug")}
    items = []
    for i in ranked:
        row = rows[pick[i]]
        cid = int(row[1])
        if cid not in cards:  # deleted between the two queries
            continue
        now_price = Decimal(str(row[10])).quantize(CENT)
        future = money(float(intercept[i] + slope[i] * days_ahead))
        as_of = row[9] if isinstance(row[9], date) else date.fromisoformat(str(row[9])[:10])
        name, set_name, slug = cards[cid]
        items.append({
            "card_id": cid, "card_name": name, "set_name": set_name, "tcg_slug": slug,
            "current_price": now_price, "predicted_price": future,
            "predicted_change_pct": change_pct(future, now_price),
            "confidence": confidence_for(int(n[pick[i]])), "data_points": int(n[pick[i]]),
            "trend": "rising", "slope_per_day": round(float(slope[i]), 4),
            "currency": row[11], "source": row[2], "as_of": as_of,
        })
    return {**empty, "items": items, "total": int(rising.sum()), "cards_considered": len(pick)}


def trending_refresh() -> dict[str, Any]:
    """Recompute the market-wide list and replace the cached one."""
    payload = trending_compute()
    cache.set(TRENDING_CACHE_KEY, payload, TRENDING_CACHE_SECONDS)
    return payload


def trending_predictions() -> dict[str, Any]:
    """The cached list (warmed by `pricing.tasks.predictions_refresh`); computed here only when
    the cache is cold."""
    payload = cache.get(TRENDING_CACHE_KEY)
    return payload if payload is not None else trending_refresh()


# --- Walk-forward backtest -------------------------------------------------------------------


@dataclass
class HorizonScore:
    """Absolute percentage errors of the model and of the random walk at one horizon."""

    horizon: int
    cards: set[int] = field(default_factory=set)
    model: list[np.ndarray] = field(default_factory=list)
    baseline: list[np.ndarray] = field(default_factory=list)

    def add(self, card_id: int, model_ape: np.ndarray, baseline_ape: np.ndarray) -> None:
        if model_ape.size:
            self.cards.add(card_id)
            self.model.append(model_ape)
            self.baseline.append(baseline_ape)

    def summary(self) -> dict[str, Any]:
        model = np.concatenate(self.model) if self.model else np.array([])
        base = np.concatenate(self.baseline) if self.baseline else np.array([])
        if not model.size:
            return {"horizon": self.horizon, "cards": 0, "forecasts": 0, "mape_model": None,
                    "mape_baseline": None, "median_ape_model": None,
                    "median_ape_baseline": None, "ratio": None, "model_better_pct": None}
        mape_model, mape_base = float(model.mean()), float(base.mean())
        return {
            "horizon": self.horizon, "cards": len(self.cards), "forecasts": int(model.size),
            "mape_model": mape_model, "mape_baseline": mape_base,
            "median_ape_model": float(np.median(model)),
            "median_ape_baseline": float(np.median(base)),
            "ratio": mape_model / mape_base if mape_base > 0 else math.inf,
            "model_better_pct": float((model < base).mean() * 100),
        }


def walk_forward(days: np.ndarray, prices: np.ndarray, *, horizons: Sequence[int],
                 step: int = 7, window: int | None, min_train: int = MIN_POINTS,
                 tolerance: int = 3) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Walk-forward errors of one series: at cut points t (the first point of every `step`-day
    block with at least `min_train` points in its window), fit the points of (t − window, t],
    forecast the point nearest t + h (within `tolerance` days, after t), and compare; the
    random walk forecasts the value at t. Returns {h: (model APE %, random-walk APE %)}.

    Least squares over every cut at once from prefix sums: the same line `fit_line` fits."""
    days = np.asarray(days, dtype=np.int64)
    y = np.asarray(prices, dtype=float)
    out = {h: (np.array([]), np.array([])) for h in horizons}
    if days.size < max(min_train, 2):
        return out
    x = (days - days[0]).astype(float)
    csum = [np.concatenate(([0.0], np.cumsum(v))) for v in (np.ones_like(x), x, y, x * x, x * y)]
    _blocks, cuts = np.unique((days - days[0]) // step, return_index=True)
    lo = (np.searchsorted(days, days[cuts] - window, side="right") if window is not None
          else np.zeros_like(cuts))
    n, sx, sy, sxx, sxy = (c[cuts + 1] - c[lo] for c in csum)
    usable = (n >= min_train) & (n >= 2)
    cuts, n, sx, sy, sxx, sxy = (a[usable] for a in (cuts, n, sx, sy, sxx, sxy))
    slope, intercept = fit_lines(n, sx, sy, sxx, sxy)
    for h in horizons:
        target = days[cuts] + h
        after = np.clip(np.searchsorted(days, target, side="left"), 0, days.size - 1)
        before = np.clip(after - 1, 0, days.size - 1)
        nearest = np.where(np.abs(days[after] - target) <= np.abs(days[before] - target),
                           after, before)
        ok = (np.abs(days[nearest] - target) <= tolerance) & (nearest > cuts)
        actual = y[nearest[ok]]
        model = np.maximum(intercept[ok] + slope[ok] * x[nearest[ok]], float(PRICE_FLOOR))
        base = y[cuts[ok]]
        out[h] = (np.abs(model - actual) / actual * 100, np.abs(base - actual) / actual * 100)
    return out
