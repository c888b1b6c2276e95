"""A synthetic price book at production scale, for benchmarks only.

    manage.py price_scale_synthetic --rows 2021340            # build (needs synthetic cards)
    manage.py price_scale_synthetic --rows 2021340 --days 3   # … with three days of history
    manage.py price_scale_synthetic --refresh                 # new values for every row
    manage.py price_scale_synthetic --refresh --next-day      # … as the next daily scrape
    manage.py price_scale_synthetic --delete                  # remove the synthetic prices

Synthetic prices (`Price.is_synthetic=True`) are written only for the synthetic cards of
`manage.py catalogue_scale_synthetic` (never for real cards, never over a real price row), and
only through `pricing.ingest.price_rows_upsert(rows, synthetic=True, notify=False)` — the
write path real sources use, so building and refreshing measure it.

The book looks like a real one: every card gets a few to ~30 keys (popular, expensive cards
more) drawn from what the sources quote — TCGplayer in USD and Cardmarket in EUR first, then
CardTrader (EUR), lesser conditions, a second finish, other languages, graded segments from
eBay and PriceCharting (psa_10, psa_9, bgs_9_5, cgc_9_5) and Scryfall / YGOPRODeck for their
games. Levels start from the card's synthetic best price (log-normal by rarity) and scale by
condition, grade and currency, with a little noise per source; low / mid / high bracket the
market price; observations are 1–60.

`--rows` is the exact number of price rows; a second run with the same target does nothing,
another target rebuilds. `--refresh` reads every synthetic row and upserts it again with a
random-walk step (σ 2 % a day) — the "refresh" benchmark. The new values are stamped one
second after the newest stored synthetic price, within its UTC day: a re-scrape the same day,
which updates that day's snapshots. With --next-day they are stamped a day after it: the next
daily scrape, which adds a snapshot per row. (Stamps follow the stored data, not the clock,
so refreshes can be repeated; synthetic rows only.) Deterministic for a catalogue and --seed
(except --refresh, which walks from the stored values).
"""

from __future__ import annotations

import math
import queue
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, transaction
from django.db.models import Max, Min
from django.utils import timezone
from tqdm import tqdm

from catalogue.models import TCG, Card
from pricing.ingest import CENT, PriceRow, price_rows_upsert
from pricing.models import Price

CHUNK = 50_000  # rows per price_rows_upsert call
DELETE_CHUNK = 100_000
DEFAULT_LEVEL = 0.5  # USD, a card without a synthetic best price
EUR_PER_USD = 0.92
WALK_SIGMA = 0.02
MAX_PRICE = 99_999.0

CONDITION_FACTOR = {"NM": 1.0, "LP": 0.85, "MP": 0.7, "HP": 0.5, "DMG": 0.35}
GRADE_FACTOR = {"raw": 1.0, "psa_10": 4.0, "psa_9": 1.6, "bgs_9_5": 3.0, "cgc_9_5": 2.2}


@dataclass(frozen=True, slots=True)
class Slot:
    """One key of a card's price book, before the card's variants are known."""

    source: str
    finish: int  # index into the card's variants (0: its main finish)
    condition: str
    language: str
    grade: str
    currency: str


def _slots(*specs: tuple) -> tuple[Slot, ...]:
    return tuple(Slot(*spec) for spec in specs)


# In order of how common the key is: a card with k keys gets the first k that fit it.
COMMON = _slots(
    ("tcgplayer", 0, "NM", "en", "raw", "USD"),
    ("cardmarket", 0, "NM", "en", "raw", "EUR"),
    ("tcgplayer", 0, "LP", "en", "raw", "USD"),
    ("cardmarket", 0, "LP", "en", "raw", "EUR"),
    ("cardtrader", 0, "NM", "en", "raw", "EUR"),
    ("tcgplayer", 1, "NM", "en", "raw", "USD"),
    ("cardmarket", 1, "NM", "en", "raw", "EUR"),
    ("ebay", 0, "NM", "en", "psa_10", "USD"),
    ("pricecharting", 0, "NM", "en", "raw", "USD"),
    ("pricecharting", 0, "NM", "en", "psa_10", "USD"),
    ("tcgplayer", 0, "MP", "en", "raw", "USD"),
    ("cardmarket", 0, "MP", "en", "raw", "EUR"),
    ("cardtrader", 0, "LP", "en", "raw", "EUR"),
    ("pricecharting", 0, "NM", "en", "psa_9", "USD"),
    ("ebay", 0, "NM", "en", "psa_9", "USD"),
    ("cardmarket", 0, "NM", "de", "raw", "EUR"),
    ("cardmarket", 0, "NM", "fr", "raw", "EUR"),
    ("tcgplayer", 1, "LP", "en", "raw", "USD"),
    ("cardmarket", 1, "LP", "en", "raw", "EUR"),
    ("ebay", 0, "NM", "en", "bgs_9_5", "USD"),
    ("pricecharting", 0, "NM", "en", "cgc_9_5", "USD"),
    ("tcgplayer", 0, "HP", "en", "raw", "USD"),
    ("cardmarket", 0, "HP", "en", "raw", "EUR"),
    ("cardtrader", 0, "NM", "de", "raw", "EUR"),
    ("cardmarket", 0, "NM", "it", "raw", "EUR"),
    ("cardmarket", 0, "NM", "es", "raw", "EUR"),
    ("ebay", 1, "NM", "en", "psa_10", "USD"),
    ("tcgplayer", 0, "DMG", "en", "raw", "USD"),
    ("cardmarket", 0, "DMG", "en", "raw", "EUR"),
    ("cardtrader", 1, "NM", "en", "raw", "EUR"),
)
# Sources of one game, ahead of the common list's third entry.
GAME_SLOTS: dict[str, tuple[Slot, ...]] = {
    "mtg": _slots(("scryfall", 0, "NM", "en", "raw", "USD"),
                  ("scryfall", 0, "NM", "en", "raw", "EUR")),
    "yugioh": _slots(("ygoprodeck", 0, "NM", "en", "raw", "USD"),
                     ("ygoprodeck", 0, "NM", "en", "raw", "EUR")),
}


@dataclass(frozen=True, slots=True)
class CardInfo:
    pk: int
    slots: tuple[Slot, ...]
    variants: tuple[str, ...]
    level: float  # USD


class Command(BaseCommand):
    help = ("Build a synthetic price book (Price.is_synthetic=True, benchmarks only) of --rows "
            "rows over the synthetic cards; --refresh re-prices every synthetic row (random "
            "walk) through the bulk upsert; --delete removes the synthetic prices.")

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--rows", type=int, help="synthetic price rows wanted")
        group.add_argument("--refresh", action="store_true",
                           help="new values for every synthetic row (the refresh benchmark)")
        group.add_argument("--delete", action="store_true",
                           help="delete every synthetic price and its snapshots")
        parser.add_argument("--next-day", action="store_true",
                            help="with --refresh: stamp the values a day after the newest "
                                 "stored ones (a new daily snapshot per row)")
        parser.add_argument("--days", type=int, default=1,
                            help="days of snapshots to build (1: today only)")
        parser.add_argument("--chunk", type=int, default=CHUNK, help="rows per upsert")
        parser.add_argument("--workers", type=int, default=None,
                            help="concurrent upserts, each on its own connection (default: "
                                 "2 on PostgreSQL, 1 on SQLite)")
        parser.add_argument("--seed", type=int, default=2021340)

    def handle(self, *args: Any, **options: Any) -> None:
        self.quiet = options["verbosity"] == 0
        if options["chunk"] < 1 or options["days"] < 1:
            raise CommandError("--chunk and --days must be >= 1")
        workers = options["workers"] or (2 if connection.vendor == "postgresql" else 1)
        if workers < 1 or (workers > 1 and connection.vendor != "postgresql"):
            raise CommandError("--workers must be >= 1 (and 1 on SQLite)")
        if options["next_day"] and not options["refresh"]:
            raise CommandError("--next-day goes with --refresh")
        started = monotonic()
        if options["delete"]:
            prices, snapshots = self.delete()
            self.analyze()
            self.stdout.write(f"Deleted {prices:,} synthetic prices and {snapshots:,} "
                              f"snapshots ({monotonic() - started:.1f}s).")
            return
        if options["refresh"]:
            at = refresh_stamp(next_day=options["next_day"])
            rows = self.refresh(chunk=options["chunk"], seed=options["seed"], workers=workers,
                                at=at)
            elapsed = monotonic() - started
            self.stdout.write(f"Refreshed {rows:,} synthetic prices as of {at:%Y-%m-%d %H:%M:%S}"
                              f" UTC in {elapsed:.1f}s "
                              f"({rows / elapsed if elapsed else 0:,.0f} rows/s).")
            return
        target = options["rows"]
        if target < 0:
            raise CommandError("--rows must be >= 0")
        held = Price.objects.filter(is_synthetic=True).count()
        if held == target:
            self.stdout.write(f"The synthetic price book already holds {held:,} rows; "
                              f"nothing to do.")
            return
        if held:
            self.stdout.write(f"Rebuilding: removing {held:,} synthetic prices first.")
            self.delete()
        written = self.build(target, days=options["days"], chunk=options["chunk"],
                             seed=options["seed"], workers=workers)
        self.analyze()
        self.stdout.write(self.style.SUCCESS(
            f"Synthetic price book: {written:,} rows x {options['days']} day(s) "
            f"({monotonic() - started:.1f}s)."))

    # --- Building ---------------------------------------------------------------------------

    def cards(self, rng: random.Random) -> list[CardInfo]:
        """The synthetic cards without any real price, each with the keys that fit it."""
        slugs = dict(TCG.objects.values_list("pk", "slug"))
        real = Price.objects.filter(card__is_synthetic=True, is_synthetic=False) \
            .values_list("card_id", flat=True).distinct()
        rows = (Card.objects.filter(is_synthetic=True).exclude(pk__in=real).order_by("pk")
                .values_list("pk", "tcg_id", "variants", "best_price"))
        cards: list[CardInfo] = []
        for pk, tcg_id, variants, best in rows.iterator(chunk_size=10_000):
            finishes = tuple(v for v in (variants or []) if isinstance(v, str) and v) \
                or ("normal",)
            game = GAME_SLOTS.get(slugs.get(tcg_id, ""), ())
            slots = tuple(s for s in (*COMMON[:2], *game, *COMMON[2:])
                          if s.finish < len(finishes))
            level = float(best) if best else math.exp(rng.gauss(math.log(DEFAULT_LEVEL), 1.0))
            cards.append(CardInfo(pk, slots, finishes[:2], level))
        return cards

    @staticmethod
    def plan(cards: list[CardInfo], rows: int, rng: random.Random) -> list[int]:
        """Keys per card summing to exactly `rows`: proportional to a log-normal popularity
        that grows with the card's price, capped by the keys that fit it."""
        capacity = sum(len(c.slots) for c in cards)
        if rows > capacity:
            raise CommandError(f"{len(cards):,} synthetic cards hold at most {capacity:,} "
                               f"price rows; scale the catalogue up first "
                               f"(manage.py catalogue_scale_synthetic --cards …)")
        weights = [math.exp(rng.gauss(0.0, 0.5)) * (1.0 + math.log1p(c.level) / 3)
                   for c in cards]
        scale = rows / sum(weights)
        counts = [min(len(c.slots), max(1, round(w * scale))) for c, w in zip(cards, weights,
                                                                                strict=True)]
        order = list(range(len(cards)))
        rng.shuffle(order)
        short = rows - sum(counts)
        while short:
            step = 1 if short > 0 else -1
            moved = 0
            for i in order:
                if short == 0:
                    break
                if (step > 0 and counts[i] < len(cards[i].slots)) or (step < 0 and counts[i] > 0):
                    counts[i] += step
                    short -= step
                    moved += 1
            if not moved:
                break
        return counts

    def build(self, rows: int, *, days: int, chunk: int, seed: int, workers: int) -> int:
        rng = random.Random(seed)  # noqa: S311 - benchmark data
        cards = self.cards(rng)
        if not cards and rows:
            raise CommandError("no synthetic cards to price; run `manage.py "
                               "catalogue_scale_synthetic --cards 133317` first")
        counts = self.plan(cards, rows, rng)
        now = timezone.now()
        written = 0
        with tqdm(total=rows * days, unit="row", desc="synthetic prices",
                  disable=self.quiet) as bar:
            # oldest day first: a day's rows never overwrite a newer day's
            for day in range(days - 1, -1, -1):
                at = now - timedelta(days=day)
                day_rng = random.Random(f"{seed}:{day}")  # noqa: S311
                batches = self.batches(self.generate(cards, counts, rng=day_rng, at=at,
                                                     day=day), chunk)
                accepted = upsert_pipeline(batches, workers=workers, done=bar.update)
                if day == 0:
                    written = accepted
        return written

    @staticmethod
    def generate(cards: list[CardInfo], counts: list[int], *, rng: random.Random,
                 at: datetime, day: int) -> Iterator[PriceRow]:
        # the same card levels every day, drifting a little per day back in time
        for card, count in zip(cards, counts, strict=True):
            drift = math.exp(rng.gauss(0.0, WALK_SIGMA) * math.sqrt(day)) if day else 1.0
            for slot in card.slots[:count]:
                level = card.level * CONDITION_FACTOR[slot.condition] * GRADE_FACTOR[slot.grade]
                if slot.currency == "EUR":
                    level *= EUR_PER_USD
                market = min(max(level * drift * math.exp(rng.gauss(0.0, 0.08)), 0.01),
                             MAX_PRICE)
                yield PriceRow(
                    card_id=card.pk, sealed_id=None, source=slot.source,
                    variant=card.variants[slot.finish], condition=slot.condition,
                    language=slot.language, grade=slot.grade, currency=slot.currency,
                    market=_money(market), low=_money(market * 0.8), mid=_money(market * 1.05),
                    high=_money(market * 1.35), observations=rng.randint(1, 60),
                    recorded_at=at)

    @staticmethod
    def batches(rows: Iterator[PriceRow], size: int) -> Iterator[list[PriceRow]]:
        batch: list[PriceRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    # --- Refreshing -------------------------------------------------------------------------

    def refresh(self, *, chunk: int, seed: int, workers: int, at: datetime) -> int:
        """Every synthetic row again, one random-walk step on, through the bulk upsert.
        Pages by id (each page one indexed range read); with workers > 1 the pages are
        written concurrently while the next ones are read."""
        total = Price.objects.filter(is_synthetic=True).count()
        if not total:
            raise CommandError("no synthetic prices to refresh; build them with --rows first")
        with tqdm(total=total, unit="row", desc="refresh", disable=self.quiet) as bar:
            return upsert_pipeline(self.walked(chunk=chunk, seed=seed, at=at), workers=workers,
                                   done=bar.update)

    @staticmethod
    def walked(*, chunk: int, seed: int, at: datetime) -> Iterator[list[PriceRow]]:
        rng = random.Random(f"{seed}:{at.isoformat()}")  # noqa: S311
        # a table of step factors: one Decimal per row would cost more than the upsert
        steps = [Decimal(f"{math.exp(rng.gauss(0.0, WALK_SIGMA)):.4f}") for _ in range(4096)]
        last = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, card_id, sealed_product_id, source, variant, condition,"
                    " language, grade, currency, market_price, low_price, mid_price,"
                    " high_price, observations FROM pricing_price"
                    " WHERE is_synthetic AND id > %s ORDER BY id LIMIT %s", [last, chunk])
                page = cursor.fetchall()
            if not page:
                return
            last = page[-1][0]
            batch = []
            for (_id, card_id, sealed_id, source, variant, condition, language, grade,
                 currency, market, low, mid, high, observations) in page:
                step = steps[rng.getrandbits(12)]
                batch.append(PriceRow(
                    card_id, sealed_id, source, variant, condition, language, grade,
                    currency, _walk(market, step), _walk(low, step), _walk(mid, step),
                    _walk(high, step), observations, at))
            yield batch

    # --- Deleting ---------------------------------------------------------------------------

    def delete(self) -> tuple[int, int]:
        """Raw deletes by id range (the ORM would load every row to cascade)."""
        ids = Price.objects.filter(is_synthetic=True).aggregate(
            low=Min("id"), high=Max("id"))
        if ids["low"] is None:
            return 0, 0
        prices = snapshots = 0
        span = ids["high"] - ids["low"] + 1
        with tqdm(total=span, unit="id", desc="deleting synthetic prices",
                  disable=self.quiet) as bar:
            for start in range(ids["low"], ids["high"] + 1, DELETE_CHUNK):
                end = start + DELETE_CHUNK
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "DELETE FROM pricing_pricesnapshot WHERE price_id IN (SELECT id FROM"
                        " pricing_price WHERE is_synthetic AND id >= %s AND id < %s)",
                        [start, end])
                    snapshots += cursor.rowcount
                    cursor.execute("DELETE FROM pricing_price WHERE is_synthetic"
                                   " AND id >= %s AND id < %s", [start, end])
                    prices += cursor.rowcount
                bar.update(min(DELETE_CHUNK, ids["high"] + 1 - start))
        return prices, snapshots

    @staticmethod
    def analyze() -> None:
        """Fresh planner statistics after bulk writes (PostgreSQL's autovacuum lags)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE pricing_price, pricing_pricesnapshot")
            elif connection.vendor == "sqlite":
                cursor.execute("ANALYZE")


def refresh_stamp(*, next_day: bool) -> datetime:
    """When a refresh's values are stamped: one second after the newest synthetic price but
    within its UTC day (a same-day re-scrape), or a day after it (the next daily scrape)."""
    newest = Price.objects.filter(is_synthetic=True).aggregate(at=Max("recorded_at"))["at"]
    if newest is None:
        raise CommandError("no synthetic prices to refresh; build them with --rows first")
    if next_day:
        return newest + timedelta(days=1)
    newest = newest.astimezone(UTC)
    day_end = datetime.combine(newest.date(), time.max, tzinfo=UTC)
    return min(newest + timedelta(seconds=1), day_end)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _walk(value: Decimal | None, step: Decimal) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, Decimal):  # SQLite hands numerics back as floats
        value = Decimal(str(value))
    return max((value * step).quantize(CENT), CENT)


def upsert_pipeline(batches: Iterable[list[PriceRow]], *, workers: int,
                    done: Callable[[int], object] | None = None,
                    write: Callable[[list[PriceRow]], int] | None = None) -> int:
    """Write every batch through `write` (the synthetic bulk upsert); returns the rows
    accepted. With workers > 1, that many threads write concurrently — each with its own
    database connection, each batch in its own transaction — while this thread produces the
    next batches, so Python and PostgreSQL work overlap. Batches must hold disjoint keys.
    The first failure stops the production and is raised once the workers are done."""
    write = write or _upsert_synthetic
    if workers <= 1:
        total = 0
        for batch in batches:
            total += write(batch)
            if done is not None:
                done(len(batch))
        return total
    jobs: queue.Queue[list[PriceRow] | None] = queue.Queue(maxsize=workers)
    failures: list[BaseException] = []
    accepted: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            while (batch := jobs.get()) is not None:
                if failures:
                    continue  # drain, so the producer never blocks
                try:
                    count = write(batch)
                except BaseException as exc:  # re-raised in the calling thread
                    failures.append(exc)
                    continue
                with lock:
                    accepted.append(count)
                    if done is not None:
                        done(len(batch))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, name=f"upsert-{n}", daemon=True)
               for n in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for batch in batches:
            if failures:
                break
            jobs.put(batch)
    finally:
        for _thread in threads:
            jobs.put(None)
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return sum(accepted)


def _upsert_synthetic(batch: list[PriceRow]) -> int:
    return price_rows_upsert(batch, synthetic=True, notify=False).written
