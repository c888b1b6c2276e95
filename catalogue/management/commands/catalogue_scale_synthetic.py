"""Scale the catalogue with synthetic cards, for benchmarks only.

    manage.py catalogue_scale_synthetic --cards 133317     # top up to 133,317 cards in all
    manage.py catalogue_scale_synthetic --remove           # delete every synthetic row

Synthetic sets and cards carry `is_synthetic=True` and never mix with real data: each
synthetic set copies the numbering and rarities of a real set of the same game ("Base
Synthetic 3", code "BS-SYN3"), and its cards take real names of that game with a " (Synthetic)"
suffix, so name, prefix, typo, number and set-code searches meet a realistic distribution.
Prices are log-normal by rarity (most cards cheap, a long tail of chase cards).

Idempotent: the target is the total number of cards (real + synthetic); a second run with the
same target does nothing, a larger one tops up, a smaller one removes synthetic cards (never
real ones). Deterministic for a given catalogue and --seed. Works on PostgreSQL and SQLite.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from time import monotonic
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Count, Max
from tqdm import tqdm

from catalogue.importers.base import number_sort_key
from catalogue.models import TCG, Card, CardSet

SUFFIX = " (Synthetic)"
SOURCE_PREFIX = "synthetic"
DELETE_CHUNK = 5000
# Median price (USD) by rarity keyword, most specific first; sigma of the log-normal spread.
PRICE_MEDIANS: list[tuple[str, float]] = [
    ("special illustration", 60.0), ("hyper", 45.0), ("secret", 30.0), ("rainbow", 25.0),
    ("enchanted", 60.0), ("marvel", 50.0), ("fabled", 80.0), ("ghost", 120.0),
    ("starlight", 150.0), ("ultimate", 40.0), ("illustration", 15.0), ("ultra", 12.0),
    ("legendary", 25.0), ("majestic", 8.0), ("mythic", 6.0), ("super", 4.0),
    ("holo", 5.0), ("leader", 3.0), ("rare", 1.0), ("uncommon", 0.25), ("common", 0.12),
    ("promo", 3.0),
]
DEFAULT_MEDIAN = 0.5
SIGMA = 1.1
NO_PRICE_SHARE = 0.08


@dataclass(frozen=True)
class Template:
    """A real card whose number / rarity / type a synthetic card copies."""

    number: str
    variant_key: str
    rarity: str
    card_type: str
    variants: list[str]


def synthetic_price(rng: random.Random, rarity: str) -> Decimal | None:
    if rng.random() < NO_PRICE_SHARE:
        return None
    text = rarity.lower()
    median = next((m for key, m in PRICE_MEDIANS if key in text), DEFAULT_MEDIAN)
    price = min(math.exp(rng.gauss(math.log(median), SIGMA)), 99_999.0)
    return Decimal(f"{max(price, 0.01):.2f}")


def synthetic_change(rng: random.Random) -> Decimal | None:
    if rng.random() < NO_PRICE_SHARE:
        return None
    return Decimal(f"{max(min(rng.gauss(0.0, 6.0), 500.0), -95.0):.2f}")


class Command(BaseCommand):
    help = ("Create synthetic sets and cards (is_synthetic=True, benchmarks only) until the "
            "catalogue holds --cards cards; --remove deletes every synthetic row.")

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--cards", type=int, help="total cards wanted (real + synthetic)")
        group.add_argument("--remove", action="store_true",
                           help="delete all synthetic cards and sets")
        parser.add_argument("--batch", type=int, default=2000, help="rows per INSERT")
        parser.add_argument("--seed", type=int, default=133317)

    def handle(self, *args: Any, **options: Any) -> None:
        started = monotonic()
        self.quiet = options["verbosity"] == 0
        if options["remove"]:
            cards, sets = self.remove_synthetic(limit=None)
            self.analyze()
            self.stdout.write(f"Removed {cards:,} synthetic cards and {sets:,} synthetic sets "
                              f"({monotonic() - started:.1f}s).")
            return
        target, batch = options["cards"], options["batch"]
        if target < 0 or batch < 1:
            raise CommandError("--cards must be >= 0 and --batch >= 1")
        total = Card.objects.count()
        if total > target:
            removed, sets = self.remove_synthetic(limit=total - target)
            total -= removed
            self.stdout.write(f"Removed {removed:,} synthetic cards ({sets} emptied sets).")
            if total > target:
                self.stdout.write(self.style.WARNING(
                    f"The catalogue holds {total:,} real cards, more than {target:,}; "
                    f"real cards are never removed."))
            self.analyze()
        elif total < target:
            created = self.create_synthetic(target - total, batch=batch, seed=options["seed"])
            total += created
            self.analyze()
        synthetic = Card.objects.filter(is_synthetic=True).count()
        self.stdout.write(self.style.SUCCESS(
            f"Catalogue: {total:,} cards ({synthetic:,} synthetic) "
            f"({monotonic() - started:.1f}s)."))

    @staticmethod
    def analyze() -> None:
        """Fresh planner statistics after bulk writes (PostgreSQL's autovacuum lags)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE catalogue_cardset, catalogue_card")
            elif connection.vendor == "sqlite":
                cursor.execute("ANALYZE")

    # --- Creating ---------------------------------------------------------------------------

    def create_synthetic(self, wanted: int, *, batch: int, seed: int) -> int:
        real_sets = list(CardSet.objects.filter(is_synthetic=False)
                         .annotate(n=Count("cards")).filter(n__gt=0)
                         .order_by("tcg_id", "release_date", "source_id"))
        if not real_sets:
            raise CommandError("the catalogue holds no real cards to recombine; "
                               "run `manage.py demo_load` first")
        per_tcg: dict[int, list[CardSet]] = defaultdict(list)
        for card_set in real_sets:
            per_tcg[card_set.tcg_id].append(card_set)
        names = self._names(per_tcg)
        templates = self._templates(real_sets)
        plan = self._plan(per_tcg, wanted)
        tcgs = TCG.objects.in_bulk(list(per_tcg))
        next_index = self._next_set_index()
        rng = random.Random(f"{seed}:{next_index}:{wanted}")  # noqa: S311 - benchmark data
        created = 0
        with tqdm(total=wanted, unit="card", desc="synthetic cards",
                  disable=self.quiet) as bar:
            for tcg_id, count in plan:
                sets = per_tcg[tcg_id]
                while count > 0:
                    model = sets[next_index % len(sets)]
                    cards = templates[model.pk][:count]
                    made = self._make_set(tcgs[tcg_id], model, next_index, cards, names[tcg_id],
                                          rng, batch)
                    next_index += 1
                    count -= made
                    created += made
                    bar.update(made)
        return created

    def _names(self, per_tcg: dict[int, list[CardSet]]) -> dict[int, list[str]]:
        names: dict[int, list[str]] = {}
        for tcg_id in per_tcg:
            pool = sorted(set(Card.objects.filter(tcg_id=tcg_id, is_synthetic=False)
                              .values_list("name", flat=True)))
            names[tcg_id] = [n[:200 - len(SUFFIX)] + SUFFIX for n in pool]
        return names

    def _templates(self, real_sets: list[CardSet]) -> dict[int, list[Template]]:
        templates: dict[int, list[Template]] = defaultdict(list)
        rows = (Card.objects.filter(is_synthetic=False)
                .order_by("card_set_id", "number_sort", "number", "variant_key")
                .values_list("card_set_id", "number", "variant_key", "rarity", "card_type",
                             "variants"))
        for set_id, number, variant_key, rarity, card_type, variants in rows.iterator(
                chunk_size=5000):
            templates[set_id].append(Template(number, variant_key, rarity, card_type,
                                              variants or []))
        return templates

    @staticmethod
    def _plan(per_tcg: dict[int, list[CardSet]], wanted: int) -> list[tuple[int, int]]:
        """Share `wanted` among the games in proportion to their real cards."""
        real = dict(Card.objects.filter(is_synthetic=False).values("tcg_id")
                    .annotate(n=Count("pk")).values_list("tcg_id", "n"))
        weights = {tcg_id: real.get(tcg_id, 0) for tcg_id in per_tcg}
        total = sum(weights.values())
        plan = [(tcg_id, wanted * weight // total) for tcg_id, weight in
                sorted(weights.items())]
        short = wanted - sum(n for _, n in plan)
        biggest = max(range(len(plan)), key=lambda i: weights[plan[i][0]])
        plan[biggest] = (plan[biggest][0], plan[biggest][1] + short)
        return [(tcg_id, n) for tcg_id, n in plan if n > 0]

    @staticmethod
    def _next_set_index() -> int:
        """Synthetic set numbers continue after the highest one (top-up runs)."""
        last = CardSet.objects.filter(is_synthetic=True).aggregate(m=Max("pk"))["m"]
        if last is None:
            return 1
        source_id = CardSet.objects.get(pk=last).source_id
        try:
            return int(source_id.rsplit("-", 1)[1]) + 1
        except (IndexError, ValueError):
            return CardSet.objects.filter(is_synthetic=True).count() + 1

    def _make_set(self, tcg: TCG, model: CardSet, index: int, templates: list[Template],
                  names: list[str], rng: random.Random, batch: int) -> int:
        code = (model.code or model.source_id)[:20]
        with transaction.atomic():
            card_set = CardSet.objects.create(
                tcg=tcg, source_id=f"{SOURCE_PREFIX}-{tcg.slug}-{index}",
                name=f"{model.name} Synthetic {index}"[:200], code=f"{code}-SYN{index}"[:32],
                series=f"Synthetic {model.series}".strip()[:100] if model.series else
                "Synthetic", release_date=model.release_date, total_cards=len(templates),
                printed_total=model.printed_total, is_synthetic=True,
                external_ids={"synthetic_from": model.source_id})
            cards = []
            for position, template in enumerate(templates):
                cards.append(Card(
                    tcg=tcg, card_set=card_set,
                    source_id=f"{card_set.source_id}-{position + 1}",
                    name=rng.choice(names), number=template.number,
                    number_sort=number_sort_key(template.number),
                    variant_key=template.variant_key, rarity=template.rarity,
                    card_type=template.card_type, variants=template.variants,
                    best_price=synthetic_price(rng, template.rarity),
                    price_change_7d=synthetic_change(rng), is_synthetic=True))
            Card.objects.bulk_create(cards, batch_size=batch)
        return len(cards)

    # --- Removing ---------------------------------------------------------------------------

    def remove_synthetic(self, *, limit: int | None) -> tuple[int, int]:
        """Delete synthetic cards (the newest first, at most `limit`), then the synthetic
        sets left empty. Returns (cards, sets) deleted."""
        ids = Card.objects.filter(is_synthetic=True).order_by("-pk").values_list("pk",
                                                                                flat=True)
        ids = list(ids[:limit] if limit is not None else ids)
        deleted = 0
        with tqdm(total=len(ids), unit="card", desc="removing synthetic",
                  disable=self.quiet or not ids) as bar:
            for start in range(0, len(ids), DELETE_CHUNK):
                chunk = ids[start:start + DELETE_CHUNK]
                with transaction.atomic():
                    Card.objects.filter(pk__in=chunk, is_synthetic=True).delete()
                deleted += len(chunk)
                bar.update(len(chunk))
        sets = CardSet.objects.filter(is_synthetic=True)
        if limit is not None:
            sets = sets.annotate(n=Count("cards")).filter(n=0)
        sets_deleted = sets.count()
        if limit is None:
            sets.delete()
        else:
            CardSet.objects.filter(pk__in=list(sets.values_list("pk", flat=True))).delete()
        # the last synthetic set may have lost some cards: keep its total honest
        for card_set in CardSet.objects.filter(is_synthetic=True).annotate(n=Count("cards")):
            if card_set.total_cards != card_set.n:
                card_set.total_cards = card_set.n
                card_set.save(update_fields=["total_cards", "updated_at"])
        return deleted, sets_deleted
