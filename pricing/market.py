"""Market intelligence: movers, cross-source spreads, trending cards and market totals.

Everything is computed in SQL over the whole price book (one statement per figure for all
TCGs at once) and kept in the cache — Redis in production, locmem embedded. New prices mark
the caches stale and queue one warm-up task (`market_caches_refresh`); the task
(`pricing.tasks.market_caches_warm`, also on beat every 15 minutes) recomputes every variant
the endpoints serve, so a warm request only reads the cache. A missing entry is computed on
demand and stored.

Rules (also in docs/api-notes.md, "Market intelligence"):

- Movers read each card's reference series (the `Price` row with `is_primary=True`: raw, NM)
  and its daily snapshots. Change over a period of N days = the series' latest snapshot vs
  its latest snapshot on or before (latest − N days), that base being no older than
  latest − 2N (a gap longer than the period is not an N-day change). The series' latest
  snapshot must lie within N days of the newest snapshot in the book (a series that stopped
  months ago is not moving now). Volatility = sample standard deviation of the log returns
  between consecutive snapshots from the base to the latest, each divided by √(days between
  them) (a daily figure for irregular series), with at least 4 points.
- Best deals compare, per card, variant and language, the raw NM market prices of every
  source in USD (latest ECB rates through pricing.fx); each source counts once, at its
  cheapest row; a card shows its widest-spread variant. Spread = (dearest − cheapest) /
  cheapest.
- Trending = growth of source activity: per price series, the average observations (listings
  or sales behind the figure) of its snapshots in the last 7 days of data vs the 7 days
  before; a card sums its series that have snapshots in both weeks; it trends when the
  earlier week had at least MIN_TRENDING_OBSERVATIONS and activity grew.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.http import Http404
from django.utils import timezone

from catalogue.models import TCG, Card, SealedProduct
from csm.selectors import platform_totals
from pricing.fx import convert, fx_rate
from pricing.ingest import CURRENCIES
from pricing.models import RAW, Condition, Price, PriceSnapshot, Source

PERIODS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_PERIOD = "7d"
ALL = "all"
MAX_MOVERS = 50  # /api/market/movers and /api/market-movers limit at most 50
MAX_DEALS = 100
MAX_TRENDING = 50
LEGACY_PERIOD = "30d"  # the legacy endpoint's "monthly" deltas
MIN_VOLATILITY_POINTS = 4  # three returns: the fewest a standard deviation means anything on
DEFAULT_MIN_SPREAD = 20.0
MIN_TRENDING_OBSERVATIONS = 5  # the earlier week's activity must be at least this
TRENDING_DAYS = 7
ACTIVE_SOURCE_DAYS = 7

CACHE_PREFIX = "pricing:market:v1"
CACHE_SECONDS = 6 * 3600  # re-warmed after every ingest and every 15 min; outlives a missed run
ADHOC_CACHE_SECONDS = 15 * 60  # best deals at a non-default min_spread_pct (not re-warmed)
STALE_KEY = f"{CACHE_PREFIX}:stale-since"
PENDING_KEY = f"{CACHE_PREFIX}:warm-pending"
PENDING_SECONDS = 15 * 60  # a queued warm-up that never ran stops blocking new ones
WARM_DELAY_SECONDS = 20  # ingests within this window share one warm-up

CENT = Decimal("0.01")


# --- Cache layer ------------------------------------------------------------------------------

def key_movers(tcg: str, period: str) -> str:
    return f"{CACHE_PREFIX}:movers:{tcg}:{period}"


def key_deals(tcg: str, min_spread: float) -> str:
    return f"{CACHE_PREFIX}:deals:{tcg}:{min_spread:.2f}"


def key_trending(tcg: str) -> str:
    return f"{CACHE_PREFIX}:trending:{tcg}"


KEY_STATS = f"{CACHE_PREFIX}:stats"
KEY_OVERVIEW = f"{CACHE_PREFIX}:overview"
KEY_RADAR = f"{CACHE_PREFIX}:radar"


def market_caches_refresh() -> None:
    """New prices arrived: mark the market caches stale and queue one warm-up.

    Readers keep getting the previous figures (flagged `stale`) until the warm-up has stored
    new ones. `cache.add` makes a burst of ingests queue a single task; the task frees the
    slot when it starts, so prices arriving while it runs queue the next one.
    """
    from pricing.tasks.market import market_caches_warm

    cache.add(STALE_KEY, timezone.now().timestamp(), None)
    if cache.add(PENDING_KEY, True, PENDING_SECONDS):
        transaction.on_commit(
            lambda: market_caches_warm.apply_async(countdown=WARM_DELAY_SECONDS))


def market_caches_warm_all() -> int:
    """Recompute and store every cached variant; returns the number of entries stored."""
    cache.delete(PENDING_KEY)
    started = timezone.now().timestamp()
    tcgs = _tcgs()
    entries: dict[str, Any] = {}
    for period in PERIODS:
        entries.update(_movers_compute(period=period, tcgs=tcgs))
    entries.update(_deals_compute(min_spread=DEFAULT_MIN_SPREAD, tcgs=tcgs))
    entries.update(_trending_compute(tcgs=tcgs))
    entries[KEY_STATS] = _stats_compute()
    entries[KEY_OVERVIEW] = _overview_compute(entries[key_movers(ALL, "7d")])
    entries[KEY_RADAR] = _radar_compute(stats=entries[KEY_STATS],
                                        movers=entries[key_movers(ALL, "7d")],
                                        deals=entries[key_deals(ALL, DEFAULT_MIN_SPREAD)])
    _store(entries, CACHE_SECONDS)
    stale_since = cache.get(STALE_KEY)
    if stale_since is not None and stale_since <= started:
        cache.delete(STALE_KEY)
    return len(entries)


# This process's copies of cache entries, by the version (generated_at_ts) they had: a warm
# request fetches only the entry's version (a few bytes) and unpickles the entry only when
# the warm-up has replaced it. Entries are never mutated (readers build new dicts).
_LOCAL: dict[str, tuple[float, dict[str, Any]]] = {}
_LOCAL_MAX = 256


def _version_key(key: str) -> str:
    return f"{key}:version"


def _store(entries: dict[str, dict[str, Any]], seconds: int) -> None:
    versions = {_version_key(key): value["generated_at_ts"] for key, value in entries.items()}
    cache.set_many({**entries, **versions}, seconds)


def _remember(key: str, value: dict[str, Any]) -> None:
    if len(_LOCAL) >= _LOCAL_MAX:
        _LOCAL.clear()
    _LOCAL[key] = (value["generated_at_ts"], value)


def _read(key: str, compute: Callable[[], dict[str, Any]], *, stale_flag: bool = True,
          seconds: int = CACHE_SECONDS) -> dict[str, Any]:
    """The cached entry (one cache round trip when warm), else compute, store and return it.

    `compute` returns a mapping of cache keys to values that must include `key` (a cold
    movers request computes its period for every TCG at once and stores them all). With
    `stale_flag` the entry says whether prices arrived after it was computed.
    """
    found = cache.get_many([_version_key(key), STALE_KEY])
    version, local = found.get(_version_key(key)), _LOCAL.get(key)
    if version is not None and local is not None and local[0] == version:
        value = local[1]
    else:
        value = cache.get(key)
        if value is None:
            entries = compute()
            _store(entries, seconds)
            value = entries[key]
        _remember(key, value)
    if stale_flag:
        stale_since = found.get(STALE_KEY)
        value = {**value, "stale": stale_since is not None
                 and stale_since > value["generated_at_ts"]}
    return value


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "generated_at_ts"}


# --- Public reads (views and pages) ------------------------------------------------------------

def tcg_or_404(slug: str) -> None:
    """404 "TCG not found" for a slug that is not one of the catalogue's TCGs."""
    if not TCG.objects.filter(slug=slug).exists():
        raise Http404("TCG not found")


def market_movers(*, tcg: str = ALL, period: str = DEFAULT_PERIOD,
                  limit: int = 20) -> dict[str, Any]:
    """Gainers, losers and most volatile (each at most `limit`) of `tcg` ("all" or a slug;
    an unknown slug raises Http404) over `period`."""
    def compute() -> dict[str, Any]:
        if tcg != ALL:
            tcg_or_404(tcg)
        return _movers_compute(period=period, tcgs=_tcgs())

    payload = _read(key_movers(tcg, period), compute)
    return _public({**payload, "gainers": payload["gainers"][:limit],
                    "losers": payload["losers"][:limit],
                    "most_volatile": payload["most_volatile"][:limit]})


def market_movers_legacy(*, direction: str = "up", tcg: str = ALL,
                         limit: int = 12) -> list[dict[str, Any]]:
    """The legacy flat list: 30-day gainers (`up`) or losers (`down`)."""
    payload = market_movers(tcg=tcg, period=LEGACY_PERIOD, limit=limit)
    return payload["gainers" if direction == "up" else "losers"]


def market_best_deals(*, tcg: str = ALL, min_spread: float = DEFAULT_MIN_SPREAD,
                      limit: int = 20) -> dict[str, Any]:
    min_spread = round(float(min_spread), 2)
    key = key_deals(tcg, min_spread)

    default = min_spread == DEFAULT_MIN_SPREAD

    def compute() -> dict[str, Any]:
        if tcg != ALL:
            tcg_or_404(tcg)
        # The default threshold is stored for every TCG at once (as the warm-up does); another
        # threshold only for what was asked, and only briefly (the warm-up does not renew it).
        return _deals_compute(min_spread=min_spread, tcgs=_tcgs(),
                              only=None if default or tcg == ALL else tcg)

    payload = _read(key, compute, seconds=CACHE_SECONDS if default else ADHOC_CACHE_SECONDS)
    return _public({**payload, "items": payload["items"][:limit]})


def market_trending(*, tcg: str = ALL, limit: int = 12) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        if tcg != ALL:
            tcg_or_404(tcg)
        return _trending_compute(tcgs=_tcgs())

    payload = _read(key_trending(tcg), compute)
    return _public({**payload, "items": payload["items"][:limit]})


def market_stats() -> dict[str, Any]:
    """Exactly the contract's six fields."""
    payload = _read(KEY_STATS, lambda: {KEY_STATS: _stats_compute()}, stale_flag=False)
    return {k: payload[k] for k in ("total_cards", "total_prices", "total_users",
                                    "total_sellers", "tcgs_covered", "last_update")}


def market_overview() -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        movers = _read(key_movers(ALL, "7d"),
                       lambda: _movers_compute(period="7d", tcgs=_tcgs()), stale_flag=False)
        return {KEY_OVERVIEW: _overview_compute(movers)}

    return _public(_read(KEY_OVERVIEW, compute))


def market_radar_stats() -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        tcgs = _tcgs()
        movers = _read(key_movers(ALL, "7d"),
                       lambda: _movers_compute(period="7d", tcgs=tcgs), stale_flag=False)
        deals = _read(key_deals(ALL, DEFAULT_MIN_SPREAD),
                      lambda: _deals_compute(min_spread=DEFAULT_MIN_SPREAD, tcgs=tcgs),
                      stale_flag=False)
        stats = _read(KEY_STATS, lambda: {KEY_STATS: _stats_compute()}, stale_flag=False)
        return {KEY_RADAR: _radar_compute(stats=stats, movers=movers, deals=deals)}

    return _public(_read(KEY_RADAR, compute))


def market_active_sellers(*, days: int = 30, limit: int = 20) -> dict[str, Any]:
    """Sellers with marketplace activity (listings, sales) in the last `days` days — none yet:
    the marketplace has no listings, so the list is empty and says why (issue 4: "an empty
    list until then"). Sign-ins are not marketplace activity and are not shown."""
    return {"items": [], "total": 0, "days": days, "limit": limit,
            "activity": "listings_and_sales",
            "reason": "The marketplace has no listings or sales yet."}


# --- Shared helpers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TcgRef:
    pk: int
    slug: str


def _tcgs() -> list[TcgRef]:
    return [TcgRef(pk, slug) for pk, slug in
            TCG.objects.order_by("sort_order", "pk").values_list("pk", "slug")]


def _money(value: object) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _iso_date(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _pct(new: Decimal, old: Decimal) -> Decimal:
    return ((new - old) * 100 / old).quantize(CENT, rounding=ROUND_HALF_UP)


def _stamp(payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    payload["generated_at"] = now.isoformat().replace("+00:00", "Z")
    payload["generated_at_ts"] = now.timestamp()
    return payload


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple]:
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # These plans cost millions, so PostgreSQL would JIT-compile their many window
            # expressions: seconds of compiling that save less than they cost here.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


def _newest_snapshot_date() -> date | None:
    return PriceSnapshot.objects.aggregate(newest=Max("date"))["newest"]


def _card_labels(card_ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
    """card id -> (name, set name, tcg slug) for the few cards that made a list."""
    rows = (Card.objects.filter(pk__in=set(card_ids)).order_by()
            .values_list("pk", "name", "card_set__name", "tcg__slug"))
    return {pk: (name, set_name, slug) for pk, name, set_name, slug in rows}


# --- Movers -----------------------------------------------------------------------------------

# One statement per period for every TCG: the per-card move (CTEs latest → win → rets →
# moves; `latest` is materialised so each series' last date is looked up once, and each CTE
# carries the card along, so no join depends on the planner's estimate for the reference
# series), then ranks per direction and volatility overall and per TCG with the TCG totals as
# window aggregates; only rows that rank ≤ :top somewhere (plus one carrier row per TCG for its
# totals) come back. {minus_n} / {minus_2n} / {days} are the only vendor-specific fragments.
_MOVERS_SQL = """
WITH latest AS MATERIALIZED (
    SELECT p.id AS price_id, p.card_id, p.source, p.currency,
           (SELECT MAX(s.date) FROM pricing_pricesnapshot s
             WHERE s.price_id = p.id AND s.market_price IS NOT NULL) AS last_date
      FROM pricing_price p
     WHERE p.is_primary AND p.card_id IS NOT NULL
), win AS (
    SELECT l.price_id, l.card_id, l.source, l.currency, s.date, s.market_price,
           s.observations, l.last_date,
           LAG(s.date) OVER w AS prev_date,
           LAG(s.market_price) OVER w AS prev_price,
           MAX(CASE WHEN s.date <= {minus_n} THEN s.date END)
               OVER (PARTITION BY l.price_id) AS base_date
      FROM latest l
      JOIN pricing_pricesnapshot s
        ON s.price_id = l.price_id AND s.date >= {minus_2n} AND s.date <= l.last_date
     WHERE s.market_price IS NOT NULL AND l.last_date >= %(fresh_since)s
    WINDOW w AS (PARTITION BY l.price_id ORDER BY s.date)
), rets AS (
    SELECT w.price_id, w.card_id, w.source, w.currency, w.date AS day, w.market_price,
           w.observations, w.last_date, w.base_date,
           CASE WHEN w.prev_date >= w.base_date
                THEN LN(CAST(w.market_price AS DOUBLE PRECISION) / w.prev_price)
                     / SQRT({days})
           END AS r
      FROM win w
     WHERE w.base_date IS NOT NULL AND w.date >= w.base_date
), moves AS (
    SELECT MIN(card_id) AS card_id, MIN(source) AS source, MIN(currency) AS currency,
           MIN(base_date) AS base_date,
           MIN(last_date) AS last_date,
           MAX(CASE WHEN day = base_date THEN market_price END) AS base_price,
           MAX(CASE WHEN day = last_date THEN market_price END) AS last_price,
           COUNT(*) AS points, SUM(observations) AS observations,
           CASE WHEN COUNT(*) >= %(min_points)s
                THEN (SUM(r * r) - SUM(r) * SUM(r) / COUNT(r)) / (COUNT(r) - 1)
           END AS variance
      FROM rets
     GROUP BY price_id
), scored AS (
    SELECT m.*, c.tcg_id,
           CAST(m.last_price - m.base_price AS DOUBLE PRECISION) * 100
               / CAST(m.base_price AS DOUBLE PRECISION) AS change_pct,
           CASE WHEN m.last_price > m.base_price THEN 1
                WHEN m.last_price < m.base_price THEN -1 ELSE 0 END AS direction
      FROM moves m
      JOIN catalogue_card c ON c.id = m.card_id
     WHERE m.base_price > 0
), ranked AS (
    SELECT s.*,
           ROW_NUMBER() OVER (PARTITION BY direction ORDER BY change_pct DESC, card_id)
               AS up_all,
           ROW_NUMBER() OVER (PARTITION BY tcg_id, direction ORDER BY change_pct DESC, card_id)
               AS up_tcg,
           ROW_NUMBER() OVER (PARTITION BY direction ORDER BY change_pct ASC, card_id)
               AS down_all,
           ROW_NUMBER() OVER (PARTITION BY tcg_id, direction ORDER BY change_pct ASC, card_id)
               AS down_tcg,
           ROW_NUMBER() OVER (PARTITION BY variance IS NULL ORDER BY variance DESC, card_id)
               AS vol_all,
           ROW_NUMBER() OVER (PARTITION BY tcg_id, variance IS NULL
                              ORDER BY variance DESC, card_id) AS vol_tcg,
           ROW_NUMBER() OVER (PARTITION BY tcg_id ORDER BY card_id) AS carrier,
           COUNT(*) OVER t AS n_cards,
           SUM(change_pct) OVER t AS sum_pct,
           SUM(CASE WHEN direction = 1 THEN 1 ELSE 0 END) OVER t AS n_up,
           SUM(CASE WHEN direction = -1 THEN 1 ELSE 0 END) OVER t AS n_down,
           COUNT(variance) OVER t AS n_volatility,
           SUM(observations) OVER t AS n_observations,
           MAX(last_date) OVER t AS newest
      FROM scored s
    WINDOW t AS (PARTITION BY tcg_id)
)
SELECT card_id, tcg_id, source, currency, base_date, last_date, base_price, last_price,
       points, observations, variance, direction, up_all, up_tcg, down_all, down_tcg,
       vol_all, vol_tcg, n_cards, sum_pct, n_up, n_down, n_volatility, n_observations, newest
  FROM ranked
 WHERE carrier = 1
    OR (direction = 1 AND (up_all <= %(top)s OR up_tcg <= %(top)s))
    OR (direction = -1 AND (down_all <= %(top)s OR down_tcg <= %(top)s))
    OR (variance IS NOT NULL AND (vol_all <= %(top)s OR vol_tcg <= %(top)s))
"""


def _vendor_date_sql() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {"minus_n": "l.last_date - CAST(%(n)s AS INTEGER)",
                "minus_2n": "l.last_date - CAST(%(n2)s AS INTEGER)",
                "days": "(w.date - w.prev_date)"}
    # SQLite keeps dates as ISO text; date() does the arithmetic and julianday() the difference.
    return {"minus_n": "date(l.last_date, %(n_mod)s)",
            "minus_2n": "date(l.last_date, %(n2_mod)s)",
            "days": "(julianday(w.date) - julianday(w.prev_date))"}


@dataclass
class _Totals:
    cards: int = 0
    sum_pct: float = 0.0
    up: int = 0
    down: int = 0
    volatility: int = 0
    observations: int = 0
    newest: str | None = None

    def add(self, other: _Totals) -> None:
        self.cards += other.cards
        self.sum_pct += other.sum_pct
        self.up += other.up
        self.down += other.down
        self.volatility += other.volatility
        self.observations += other.observations
        if other.newest and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest


def _movers_compute(*, period: str, tcgs: list[TcgRef]) -> dict[str, dict[str, Any]]:
    """{cache key: payload} for `period`, for "all" and every TCG."""
    days = PERIODS[period]
    now = timezone.now()
    newest = _newest_snapshot_date()
    rows: list[tuple] = []
    if newest is not None:
        sql = _MOVERS_SQL.format(**_vendor_date_sql())
        rows = _fetch(sql, {
            "fresh_since": newest - timedelta(days=days), "n": days, "n2": 2 * days,
            "n_mod": f"-{days} days", "n2_mod": f"-{2 * days} days",
            "min_points": MIN_VOLATILITY_POINTS, "top": MAX_MOVERS})
    slug_of = {t.pk: t.slug for t in tcgs}
    labels = _card_labels(row[0] for row in rows)
    lists: dict[str, dict[str, list[tuple[int, dict]]]] = defaultdict(
        lambda: {"gainers": [], "losers": [], "most_volatile": []})
    totals: dict[str, _Totals] = defaultdict(_Totals)
    for (card_id, tcg_id, source, currency, base_date, last_date, base_price, last_price,
         points, observations, variance, direction, up_all, up_tcg, down_all, down_tcg,
         vol_all, vol_tcg, n_cards, sum_pct, n_up, n_down, n_vol, n_obs,
         tcg_newest) in rows:
        slug = slug_of.get(tcg_id)
        if slug is None or card_id not in labels:
            continue
        totals[slug] = _Totals(int(n_cards), float(sum_pct or 0), int(n_up), int(n_down),
                               int(n_vol), int(n_obs or 0), _iso_date(tcg_newest))
        item = _mover_item(card_id, labels[card_id], source, currency, base_date, last_date,
                           base_price, last_price, points, observations, variance)
        for name, overall, per_tcg, wanted in (("gainers", up_all, up_tcg, direction == 1),
                                               ("losers", down_all, down_tcg, direction == -1),
                                               ("most_volatile", vol_all, vol_tcg,
                                                variance is not None)):
            if not wanted:
                continue
            if overall <= MAX_MOVERS:
                lists[ALL][name].append((overall, item))
            if per_tcg <= MAX_MOVERS:
                lists[slug][name].append((per_tcg, item))
    totals[ALL] = _Totals()
    for slug, figures in list(totals.items()):
        if slug != ALL:
            totals[ALL].add(figures)
    entries = {}
    for slug in [ALL, *slug_of.values()]:
        figures = totals.get(slug, _Totals())
        ranked = {name: [item for _rank, item in sorted(items, key=lambda pair: pair[0])]
                  for name, items in lists[slug].items()}
        entries[key_movers(slug, period)] = _stamp(
            _movers_payload(slug, period, ranked, figures, days), now)
    return entries


def _mover_item(card_id: int, label: tuple[str, str, str], source: str, currency: str,
                base_date: object, last_date: object, base_price: object, last_price: object,
                points: int, observations: object, variance: object) -> dict[str, Any]:
    name, set_name, slug = label
    current, previous = _money(last_price), _money(base_price)
    volatility = None
    if variance is not None:
        volatility = round(max(float(variance), 0.0) ** 0.5, 4)
    return {
        "card_id": card_id, "name": name, "set_name": set_name, "tcg_slug": slug,
        "current_price": _num(current), "change_pct": _num(_pct(current, previous)),
        "change_abs": _num(current - previous), "previous_price": _num(previous),
        "currency": currency, "source": source, "volatility": volatility,
        "as_of": _iso_date(last_date), "since": _iso_date(base_date),
        "data_points": int(points), "observations": int(observations or 0),
    }


def _movers_payload(slug: str, period: str, lists: dict[str, list[dict]], totals: _Totals,
                    days: int) -> dict[str, Any]:
    reason = None
    if totals.cards == 0:
        reason = (f"No card's reference series has a price {days} days before its latest "
                  f"one yet.")
    elif totals.volatility == 0:
        reason = (f"No card has {MIN_VOLATILITY_POINTS} or more price points in the period, "
                  f"which volatility needs.")
    return {
        "gainers": lists["gainers"], "losers": lists["losers"],
        "most_volatile": lists["most_volatile"], "period": period, "tcg": slug,
        "cards_with_data": totals.cards, "cards_with_volatility": totals.volatility,
        "cards_up": totals.up, "cards_down": totals.down,
        "cards_flat": totals.cards - totals.up - totals.down,
        "average_change_pct": round(totals.sum_pct / totals.cards, 2) if totals.cards else None,
        "observations": totals.observations, "as_of": totals.newest, "reason": reason,
    }


# --- Best deals -------------------------------------------------------------------------------

_DEALS_SQL = """
WITH conv AS (
    SELECT p.card_id, p.variant, p.language, p.source, p.currency, p.market_price,
           p.observations, p.market_price * {rate_case} AS usd
      FROM pricing_price p
     WHERE p.card_id IS NOT NULL AND p.grade = %(raw)s AND p.condition = %(nm)s
       AND p.market_price IS NOT NULL {only_tcg}
), per_source AS (
    SELECT card_id, variant, language, source, currency, market_price, usd,
           ROW_NUMBER() OVER (PARTITION BY card_id, variant, language, source
                              ORDER BY usd, currency) AS rn,
           SUM(observations) OVER (PARTITION BY card_id, variant, language, source)
               AS source_observations
      FROM conv
     WHERE usd IS NOT NULL
), grouped AS (
    SELECT card_id, variant, language, source, currency, market_price, usd,
           COUNT(*) OVER g AS n_sources,
           SUM(source_observations) OVER g AS observations,
           ROW_NUMBER() OVER (PARTITION BY card_id, variant, language ORDER BY usd, source)
               AS cheap_rank,
           FIRST_VALUE(source) OVER (PARTITION BY card_id, variant, language
                                     ORDER BY usd DESC, source) AS dear_source,
           FIRST_VALUE(currency) OVER (PARTITION BY card_id, variant, language
                                       ORDER BY usd DESC, source) AS dear_currency,
           FIRST_VALUE(market_price) OVER (PARTITION BY card_id, variant, language
                                           ORDER BY usd DESC, source) AS dear_price,
           FIRST_VALUE(usd) OVER (PARTITION BY card_id, variant, language
                                  ORDER BY usd DESC, source) AS dear_usd
      FROM per_source
     WHERE rn = 1
    WINDOW g AS (PARTITION BY card_id, variant, language)
), pairs AS (
    SELECT g.*, c.tcg_id,
           CAST(g.dear_usd - g.usd AS DOUBLE PRECISION) * 100
               / CAST(g.usd AS DOUBLE PRECISION) AS spread_pct,
           ROW_NUMBER() OVER (PARTITION BY g.card_id
                              ORDER BY (g.dear_usd - g.usd) / g.usd DESC, g.variant,
                                       g.language) AS best_variant
      FROM grouped g
      JOIN catalogue_card c ON c.id = g.card_id
     WHERE g.cheap_rank = 1 AND g.n_sources >= 2 AND g.usd > 0
), per_card AS (
    SELECT * FROM pairs WHERE best_variant = 1
), ranked AS (
    SELECT pc.*,
           ROW_NUMBER() OVER (PARTITION BY spread_pct >= %(min_spread)s
                              ORDER BY spread_pct DESC, card_id) AS rank_all,
           ROW_NUMBER() OVER (PARTITION BY tcg_id, spread_pct >= %(min_spread)s
                              ORDER BY spread_pct DESC, card_id) AS rank_tcg,
           ROW_NUMBER() OVER (PARTITION BY tcg_id ORDER BY card_id) AS carrier,
           COUNT(*) OVER (PARTITION BY tcg_id) AS n_compared,
           SUM(CASE WHEN spread_pct >= %(min_spread)s THEN 1 ELSE 0 END)
               OVER (PARTITION BY tcg_id) AS n_deals
      FROM per_card pc
)
SELECT card_id, tcg_id, variant, language, n_sources, observations, source, currency,
       market_price, dear_source, dear_currency, dear_price, spread_pct >= %(min_spread)s,
       rank_all, rank_tcg, n_compared, n_deals
  FROM ranked
 WHERE carrier = 1 OR (spread_pct >= %(min_spread)s
                       AND (rank_all <= %(top)s OR rank_tcg <= %(top)s))
"""


def _usd_rates() -> tuple[dict[str, Decimal], dict[str, str | None], list[str]]:
    """Currency -> USD multiplier (latest ECB rates), the rates' dates, and currencies that
    have no rate (their prices are left out, never compared unconverted)."""
    used = set(Price.objects.filter(card__isnull=False, grade=RAW, condition=Condition.NM)
               .order_by().values_list("currency", flat=True).distinct()[:len(CURRENCIES)])
    rates: dict[str, Decimal] = {}
    dates: dict[str, str | None] = {}
    missing: list[str] = []
    for currency in sorted(used):
        rate = fx_rate(currency, "USD")
        if rate is None:
            missing.append(currency)
            continue
        rates[currency] = rate.rate
        dates[currency] = _iso_date(rate.date)
    return rates, dates, missing


def _deals_compute(*, min_spread: float, tcgs: list[TcgRef],
                   only: str | None = None) -> dict[str, dict[str, Any]]:
    """{cache key: payload} for `min_spread`: "all" and every TCG (or just `only`)."""
    now = timezone.now()
    rates, rate_dates, missing = _usd_rates()
    params: dict[str, Any] = {"raw": RAW, "nm": Condition.NM, "min_spread": min_spread,
                              "top": MAX_DEALS}
    rows: list[tuple] = []
    if rates:
        cases = []
        for i, (currency, rate) in enumerate(sorted(rates.items())):
            params[f"cur{i}"], params[f"rate{i}"] = currency, rate
            cases.append(f"WHEN %(cur{i})s THEN CAST(%(rate{i})s AS NUMERIC)")
        only_tcg = ""
        if only is not None:
            only_tcg = ("AND p.card_id IN (SELECT c.id FROM catalogue_card c"
                        " JOIN catalogue_tcg t ON t.id = c.tcg_id WHERE t.slug = %(only)s)")
            params["only"] = only
        sql = _DEALS_SQL.format(rate_case=f"CASE p.currency {' '.join(cases)} END",
                                only_tcg=only_tcg)
        rows = _fetch(sql, params)
    slug_of = {t.pk: t.slug for t in tcgs}
    labels = _card_labels(row[0] for row in rows)
    items: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    compared: dict[str, int] = defaultdict(int)
    deals: dict[str, int] = defaultdict(int)
    for (card_id, tcg_id, variant, language, n_sources, observations, source, currency,
         price, dear_source, dear_currency, dear_price, is_deal, rank_all, rank_tcg,
         n_compared, n_deals) in rows:
        slug = slug_of.get(tcg_id)
        if slug is None or card_id not in labels:
            continue
        compared[slug], deals[slug] = int(n_compared), int(n_deals)
        if not is_deal:
            continue
        item = _deal_item(card_id, labels[card_id], variant, language, int(n_sources),
                          observations, source, currency, price, dear_source, dear_currency,
                          dear_price)
        if item is None:
            continue
        if rank_all <= MAX_DEALS and only is None:
            items[ALL].append((rank_all, item))
        if rank_tcg <= MAX_DEALS:
            items[slug].append((rank_tcg, item))
    fx = {currency: {"usd_rate": float(rate), "date": rate_dates[currency]}
          for currency, rate in sorted(rates.items())}
    entries = {}
    for slug in [ALL, *slug_of.values()] if only is None else [only]:
        n_compared = sum(compared.values()) if slug == ALL else compared.get(slug, 0)
        n_deals = sum(deals.values()) if slug == ALL else deals.get(slug, 0)
        reason = None
        if n_compared == 0:
            reason = ("No card has raw Near Mint prices from two or more sources that can be "
                      "compared in USD yet.")
        entries[key_deals(slug, min_spread)] = _stamp({
            "items": [item for _rank, item in sorted(items[slug], key=lambda p: p[0])],
            "total": n_deals, "cards_compared": n_compared, "tcg": slug,
            "min_spread_pct": min_spread, "currency": "USD", "fx_rates": fx,
            "currencies_without_rate": missing, "reason": reason,
        }, now)
    return entries


def _deal_item(card_id: int, label: tuple[str, str, str], variant: str, language: str,
               n_sources: int, observations: object, source: str, currency: str,
               price: object, dear_source: str, dear_currency: str,
               dear_price: object) -> dict[str, Any] | None:
    name, set_name, slug = label
    cheap, dear = _money(price), _money(dear_price)
    cheap_usd, dear_usd = convert(cheap, currency, "USD"), convert(dear, dear_currency, "USD")
    if cheap_usd is None or dear_usd is None or cheap_usd <= 0:
        return None
    return {
        "card_id": card_id, "name": name, "set_name": set_name, "tcg_slug": slug,
        "variant": variant, "language": language,
        "cheapest_source": source, "cheapest_price": _num(cheap_usd),
        "cheapest_price_original": _num(cheap), "cheapest_currency": currency,
        "most_expensive_source": dear_source, "most_expensive_price": _num(dear_usd),
        "most_expensive_price_original": _num(dear), "most_expensive_currency": dear_currency,
        "spread_pct": _num(_pct(dear_usd, cheap_usd)), "spread_abs": _num(dear_usd - cheap_usd),
        "currency": "USD", "sources": n_sources, "observations": int(observations or 0),
    }


# --- Trending ---------------------------------------------------------------------------------

_TRENDING_SQL = """
WITH activity AS MATERIALIZED (
    SELECT s.price_id,
           AVG(CASE WHEN s.date > %(split)s THEN s.observations END) AS recent,
           AVG(CASE WHEN s.date <= %(split)s THEN s.observations END) AS previous
      FROM pricing_pricesnapshot s
     WHERE s.date > %(start)s AND s.date <= %(as_of)s
     GROUP BY s.price_id
), per_card AS (
    SELECT p.card_id, SUM(a.recent) AS recent, SUM(a.previous) AS previous,
           COUNT(DISTINCT p.source) AS sources, COUNT(*) AS series
      FROM activity a
      JOIN pricing_price p ON p.id = a.price_id
     WHERE p.card_id IS NOT NULL AND a.recent IS NOT NULL AND a.previous IS NOT NULL
     GROUP BY p.card_id
), measured AS (
    SELECT pc.*, c.tcg_id, c.best_price, c.price_change_7d,
           (pc.recent - pc.previous) * 100.0 / pc.previous AS growth_pct,
           CASE WHEN pc.previous >= %(min_previous)s AND pc.recent > pc.previous
                THEN 1 ELSE 0 END AS trending
      FROM per_card pc
      JOIN catalogue_card c ON c.id = pc.card_id
     WHERE pc.previous > 0
), ranked AS (
    SELECT m.*,
           ROW_NUMBER() OVER (PARTITION BY trending
                              ORDER BY growth_pct DESC, recent DESC, card_id) AS rank_all,
           ROW_NUMBER() OVER (PARTITION BY tcg_id, trending
                              ORDER BY growth_pct DESC, recent DESC, card_id) AS rank_tcg,
           ROW_NUMBER() OVER (PARTITION BY tcg_id ORDER BY card_id) AS carrier,
           COUNT(*) OVER (PARTITION BY tcg_id) AS n_measured,
           SUM(trending) OVER (PARTITION BY tcg_id) AS n_trending
      FROM measured m
)
SELECT card_id, tcg_id, recent, previous, sources, series, best_price, price_change_7d,
       trending, rank_all, rank_tcg, n_measured, n_trending
  FROM ranked
 WHERE carrier = 1 OR (trending = 1 AND (rank_all <= %(top)s OR rank_tcg <= %(top)s))
"""


def _trending_compute(*, tcgs: list[TcgRef]) -> dict[str, dict[str, Any]]:
    now = timezone.now()
    as_of = _newest_snapshot_date()
    rows: list[tuple] = []
    if as_of is not None:
        split = as_of - timedelta(days=TRENDING_DAYS)
        rows = _fetch(_TRENDING_SQL, {
            "as_of": as_of, "split": split, "start": split - timedelta(days=TRENDING_DAYS),
            "min_previous": MIN_TRENDING_OBSERVATIONS, "top": MAX_TRENDING})
    slug_of = {t.pk: t.slug for t in tcgs}
    labels = _card_labels(row[0] for row in rows)
    items: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    measured: dict[str, int] = defaultdict(int)
    trending: dict[str, int] = defaultdict(int)
    for (card_id, tcg_id, recent, previous, sources, series, best_price, change_7d,
         is_trending, rank_all, rank_tcg, n_measured, n_trending) in rows:
        slug = slug_of.get(tcg_id)
        if slug is None or card_id not in labels:
            continue
        measured[slug], trending[slug] = int(n_measured), int(n_trending)
        if not is_trending:
            continue
        name, set_name, card_slug = labels[card_id]
        recent_d, previous_d = _money(recent), _money(previous)
        item = {
            "card_id": card_id, "name": name, "set_name": set_name, "tcg_slug": card_slug,
            "activity_recent": _num(recent_d), "activity_previous": _num(previous_d),
            "activity_growth_pct": _num(_pct(recent_d, previous_d)),
            "sources": int(sources), "series": int(series),
            "best_price": _num(_money(best_price)), "best_price_currency": "USD",
            "price_change_7d": _num(_money(change_7d)),
        }
        if rank_all <= MAX_TRENDING:
            items[ALL].append((rank_all, item))
        if rank_tcg <= MAX_TRENDING:
            items[slug].append((rank_tcg, item))
    entries = {}
    window = None
    if as_of is not None:
        split = as_of - timedelta(days=TRENDING_DAYS)
        window = {"recent": [_iso_date(split + timedelta(days=1)), _iso_date(as_of)],
                  "previous": [_iso_date(split - timedelta(days=TRENDING_DAYS - 1)),
                               _iso_date(split)]}
    for slug in [ALL, *slug_of.values()]:
        n_measured = sum(measured.values()) if slug == ALL else measured.get(slug, 0)
        n_trending = sum(trending.values()) if slug == ALL else trending.get(slug, 0)
        reason = None
        if n_measured == 0:
            reason = ("No card has source activity (listings or sales) in both of the last two "
                      "weeks of data yet.")
        entries[key_trending(slug)] = _stamp({
            "items": [item for _rank, item in sorted(items[slug], key=lambda p: p[0])],
            "total": n_trending, "cards_measured": n_measured, "tcg": slug,
            "as_of": _iso_date(as_of), "windows": window,
            "min_previous_observations": MIN_TRENDING_OBSERVATIONS, "reason": reason,
        }, now)
    return entries


# --- Totals -----------------------------------------------------------------------------------

def _stats_compute() -> dict[str, Any]:
    """Users, sellers and cards from the platform counts registry (csm.selectors); the price
    book's own figures counted here."""
    counts = platform_totals()
    # Per TCG: its first card (or sealed product) that has a price — a few index probes
    # each, where joining the whole price book to the catalogue would read every row.
    priced_card = Card.objects.filter(tcg=OuterRef("pk")).filter(
        Exists(Price.objects.filter(card=OuterRef("pk"))))
    priced_sealed = SealedProduct.objects.filter(tcg=OuterRef("pk")).filter(
        Exists(Price.objects.filter(sealed_product=OuterRef("pk"))))
    covered = TCG.objects.filter(Exists(priced_card) | Exists(priced_sealed)).count()
    last = Price.objects.aggregate(last=Max("recorded_at"))["last"]
    return _stamp({
        "total_cards": counts.get("cards", 0), "total_prices": Price.objects.count(),
        "total_users": counts.get("users", 0), "total_sellers": counts.get("sellers", 0),
        "tcgs_covered": covered,
        "last_update": last.isoformat().replace("+00:00", "Z") if last else None,
    }, timezone.now())


def _overview_compute(movers: dict[str, Any]) -> dict[str, Any]:
    gainer = movers["gainers"][0] if movers["gainers"] else None
    loser = movers["losers"][0] if movers["losers"] else None
    reason = None
    if movers["cards_with_data"] == 0:
        reason = "No card has 7 days of price history yet."
    return _stamp({
        "period": "7d", "average_change_pct": movers["average_change_pct"],
        "cards_with_data": movers["cards_with_data"], "cards_up": movers["cards_up"],
        "cards_down": movers["cards_down"], "cards_flat": movers["cards_flat"],
        "biggest_gainer": gainer, "biggest_loser": loser, "as_of": movers["as_of"],
        "reason": reason,
    }, timezone.now())


def _radar_compute(*, stats: dict[str, Any], movers: dict[str, Any],
                   deals: dict[str, Any]) -> dict[str, Any]:
    now = timezone.now()
    since_day = now - timedelta(hours=24)
    since_week = now - timedelta(days=ACTIVE_SOURCE_DAYS)
    priced_cards = Card.objects.filter(Exists(Price.objects.filter(card=OuterRef("pk")))).count()
    priced_sealed = SealedProduct.objects.filter(
        Exists(Price.objects.filter(sealed_product=OuterRef("pk")))).count()
    sources = [source for source in Source.values
               if Price.objects.filter(source=source, recorded_at__gte=since_week).exists()]
    return _stamp({
        "tracked_cards": stats["total_cards"], "priced_cards": priced_cards,
        "priced_sealed_products": priced_sealed, "total_prices": stats["total_prices"],
        "prices_updated_24h": Price.objects.filter(recorded_at__gte=since_day).count(),
        "active_sources": len(sources), "sources": sources,
        "active_source_days": ACTIVE_SOURCE_DAYS,
        "average_change_7d_pct": movers["average_change_pct"],
        "cards_with_7d_data": movers["cards_with_data"],
        "gainers_7d": movers["cards_up"], "losers_7d": movers["cards_down"],
        "unchanged_7d": movers["cards_flat"],
        "best_deals": deals["total"], "best_deals_min_spread_pct": deals["min_spread_pct"],
        "cards_compared": deals["cards_compared"],
        "tcgs_covered": stats["tcgs_covered"], "last_update": stats["last_update"],
    }, now)
