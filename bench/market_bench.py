#!/usr/bin/env python3
"""Market intelligence at price-book scale, on PostgreSQL + Redis (a benchmark, not a test).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/csm_bench_market \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/market_bench.py [--requests 300] [--warmup 30]

First the warm-up itself: how long each market figure takes to compute for the whole book
(movers per period, best deals, trending, totals) and the full `market_caches_warm_all()`.
Then requests through Django's test Client *in process* (the whole Django stack: middleware,
DRF authentication and throttling, the Redis cache, the real database; no HTTP socket, no ASGI
server) — a warm-up, then N timed requests round-robin over each scenario's inputs — with
p50 / p95 / p99 / max, the SQL share, the statements per request and PASS/FAIL against the
targets: warm `/api/market/movers` p95 <= 3 ms, card detail with its price book p95 <= 10 ms.
The other market endpoints are measured without a target.

The cache entries go under their own key prefix ("csm-bench") so a shared Redis keeps the
site's own entries. See bench/README.md for the setup.

Exit status: 0 when every target passes, 1 when one fails, 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common import Result, SqlTimer, checked_get, database_url_is_postgresql
from common import setup_django as setup_common

ROOT = Path(__file__).resolve().parents[1]
SCALE_CARDS = 133_317
SCALE_PRICES = 2_021_340
MOVERS_P95_MS = 3.0
DETAIL_P95_MS = 10.0


def setup_django() -> None:
    setup_common()
    from django.conf import settings

    # Before the cache is first used: the bench's entries under their own prefix.
    settings.CACHES["default"]["KEY_PREFIX"] = "csm-bench"
    from django.core.cache import cache

    assert cache.key_prefix == "csm-bench", "the cache was configured before the bench"


def run(result: Result, paths: list[str], *, requests: int, warmup: int) -> Result:
    from django.db import connection
    from django.test import Client

    # The web process does not compute the figures (the Celery worker does): collect what
    # the bench's own warm-up left behind, so a full collection does not land in the timings.
    gc.collect()
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json")
    result.example = paths[0]
    get = checked_get(client)

    for i in range(warmup):
        get(paths[i % len(paths)])
    for i in range(requests):
        timer = SqlTimer()
        path = paths[i % len(paths)]
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            get(path)
            elapsed = time.perf_counter() - started
        result.total_ms.append(elapsed * 1000)
        result.sql_ms.append(timer.seconds * 1000)
        result.queries = max(result.queries, timer.count)
    return result


def timed(label: str, fn: Callable[[], object]) -> object:
    started = time.perf_counter()
    value = fn()
    print(f"  {label:38} {time.perf_counter() - started:8.2f} s")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per row")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests first")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    if not database_url_is_postgresql():
        return 2
    if not os.environ.get("REDIS_URL", "").startswith("redis"):
        print("Set REDIS_URL=redis://…: the target is for the Redis cache production uses.",
              file=sys.stderr)
        return 2
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Exists, OuterRef

    from catalogue.models import Card
    from pricing import market
    from pricing.models import Price

    if connection.vendor != "postgresql":
        print(f"DATABASE_URL resolves to {connection.vendor}, not PostgreSQL", file=sys.stderr)
        return 2
    cards = Card.objects.count()
    prices = Price.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        # The planner's estimate: counting 10M+ snapshots exactly would take longer than
        # anything measured here.
        cursor.execute("SELECT reltuples::bigint FROM pg_class "
                       "WHERE relname = 'pricing_pricesnapshot'")
        snapshots = cursor.fetchone()[0]
    primaries = Price.objects.filter(is_primary=True).count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# host: {os.cpu_count()} CPUs, load average {load:.2f} at start")
    print(f"# command: {' '.join([sys.executable, *sys.argv])}")
    print(f"# market_bench — {connection.settings_dict['NAME']} on PostgreSQL {version}; "
          f"{cards:,} cards, {prices:,} price rows "
          f"({Price.objects.filter(is_synthetic=True).count():,} synthetic), "
          f"~{snapshots:,} snapshots, {primaries:,} reference series; cache "
          f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; DEBUG={settings.DEBUG}; "
          f"in-process Django test Client; {args.requests} timed requests per row after "
          f"{args.warmup} warm-up")
    if cards < SCALE_CARDS or prices < SCALE_PRICES:
        print(f"WARNING: below the spec's scale ({SCALE_CARDS:,} cards, {SCALE_PRICES:,} "
              f"prices): see bench/README.md")
    if primaries == 0:
        print("No reference series: run `manage.py price_summaries_refresh --all` first",
              file=sys.stderr)
        return 2

    print("\nComputing the market figures for the whole book (what the warm-up task does):")
    tcgs = market._tcgs()
    for period in market.PERIODS:
        timed(f"movers {period} (all TCGs)",
              lambda period=period: market._movers_compute(period=period, tcgs=tcgs))
    timed("best deals (all TCGs, 20 %)",
          lambda: market._deals_compute(min_spread=market.DEFAULT_MIN_SPREAD, tcgs=tcgs))
    timed("trending (all TCGs)", lambda: market._trending_compute(tcgs=tcgs))
    timed("stats", market._stats_compute)
    stored = timed("market_caches_warm_all() in total", market.market_caches_warm_all)
    print(f"  {stored} cache entries stored")
    movers = market.market_movers(limit=market.MAX_MOVERS)
    print(f"  7d movers: {movers['cards_with_data']:,} cards with a move, "
          f"{len(movers['gainers'])} gainers / {len(movers['losers'])} losers / "
          f"{len(movers['most_volatile'])} volatile in the payload")

    rng = random.Random(args.seed)  # noqa: S311 - picking sample rows
    priced = (Card.objects.filter(Exists(Price.objects.filter(card=OuterRef("pk"))))
              .order_by("pk").values_list("pk", "tcg__slug")[:20_000])
    sample = rng.sample(list(priced), min(200, len(priced)))
    book_sizes = sorted(Price.objects.filter(card_id=pk).count() for pk, _slug in sample)
    movers_paths = ["/api/market/movers", "/api/market/movers?tcg=pokemon&period=30d",
                    "/api/market/movers?tcg=mtg&period=90d&limit=50",
                    "/api/market/movers?period=7d&limit=10"]
    results = [
        run(Result("movers (warm)", MOVERS_P95_MS), movers_paths, requests=args.requests,
            warmup=args.warmup),
        run(Result("card detail + prices", DETAIL_P95_MS),
            [f"/{slug}/cards/{pk}" for pk, slug in sample], requests=args.requests,
            warmup=args.warmup),
    ]
    for name, paths in [
        ("legacy movers", ["/api/market-movers", "/api/market-movers?direction=down"]),
        ("best deals", ["/api/market/best-deals", "/api/market/best-deals?tcg_slug=mtg"]),
        ("stats", ["/api/market/stats"]),
        ("overview", ["/api/market/overview"]),
        ("radar stats", ["/api/market/radar-stats"]),
        ("trending", ["/api/trending", "/api/trending?tcg_slug=pokemon"]),
        ("active sellers", ["/api/market/active-sellers"]),
    ]:
        results.append(run(Result(name, None), paths, requests=max(50, args.requests // 3),
                           warmup=max(5, args.warmup // 3)))

    header = (f"{'scenario':22} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
              f"{'SQL p50':>8} {'queries':>7} {'target':>9}  result  example")
    print("\nms = wall-clock milliseconds per request; SQL = time inside the database driver; "
          "queries = most SQL statements one request ran")
    print(header)
    print("-" * len(header))
    for r in results:
        target = f"p95≤{r.target_ms:g}" if r.target_ms is not None else "-"
        verdict = {True: "PASS", False: "FAIL", None: "-"}[r.passed]
        print(f"{r.name:22} {r.pct(50):8.2f} {r.pct(95):8.2f} {r.pct(99):8.2f} "
              f"{max(r.total_ms):8.2f} {r.pct(50, r.sql_ms):8.2f} {r.queries:7d} "
              f"{target:>9}  {verdict:6}  {r.example}")
    print(f"\ncard detail sample: {len(sample)} priced cards, price rows per card "
          f"min {book_sizes[0]} / median {book_sizes[len(book_sizes) // 2]} / "
          f"max {book_sizes[-1]}" if book_sizes else "")
    if hasattr(os, "getloadavg"):
        print(f"# load average at the end: {os.getloadavg()[0]:.2f}")
    failed = [r.name for r in results if r.passed is False]
    print(f"\n{'FAIL: ' + ', '.join(failed) if failed else 'PASS: every target met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
