"""The synthetic price book for benchmarks: build, refresh, delete — never touching real rows."""

from __future__ import annotations

import io
import random
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max
from django.utils import timezone

from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from pricing.management.commands.price_scale_synthetic import (
    COMMON,
    CardInfo,
    Command,
    upsert_pipeline,
)
from pricing.models import Price, PriceSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue() -> dict:
    """20 synthetic Pokémon cards, 6 synthetic Magic cards, a real card with a real price and
    a synthetic card that (somehow) has a real price."""
    pokemon = CardSetFactory(source_id="synthetic-pokemon-1", is_synthetic=True)
    magic = CardSetFactory(source_id="synthetic-mtg-1", tcg=tcg("mtg"), is_synthetic=True)
    cards = [CardFactory(card_set=pokemon, is_synthetic=True, best_price=Decimal(f"{i + 1}.50"),
                         variants=["normal", "reverse_holofoil"]) for i in range(20)]
    cards += [CardFactory(card_set=magic, is_synthetic=True, best_price=None,
                          variants=["nonfoil", "foil"]) for _ in range(6)]
    real_card = CardFactory()
    real = Price.objects.create(card=real_card, source="tcgplayer", currency="USD",
                                market_price=Decimal("12.34"), recorded_at=timezone.now())
    PriceSnapshot.objects.create(price=real, date=timezone.now().date(),
                                 market_price=Decimal("12.34"))
    odd = CardFactory(card_set=pokemon, is_synthetic=True)
    odd_real = Price.objects.create(card=odd, source="tcgplayer", currency="USD",
                                    market_price=Decimal("3.00"), recorded_at=timezone.now())
    return {"cards": cards, "real": real, "odd_real": odd_real}


def run(*args: str) -> str:
    """One worker: other threads' connections would not see the test's transaction."""
    out = io.StringIO()
    call_command("price_scale_synthetic", *args, "--workers", "1", "-v0", stdout=out)
    return out.getvalue()


def real_rows() -> list:
    return list(Price.objects.filter(is_synthetic=False).order_by("pk").values_list())


def test_build_writes_exactly_the_rows_asked_for_over_synthetic_cards(
        catalogue: dict, django_assert_max_num_queries) -> None:  # noqa: ANN001
    before = real_rows()
    # a handful of queries per upsert of --chunk rows (4 here; SQLite: 2 per target), none
    # per row
    with django_assert_max_num_queries(56):
        assert "200 rows x 1 day(s)" in run("--rows", "200", "--chunk", "64")
    synthetic = Price.objects.filter(is_synthetic=True)
    assert synthetic.count() == 200
    assert set(synthetic.values_list("card_id", flat=True)) == {c.pk for c in
                                                                catalogue["cards"]}
    assert real_rows() == before  # the real rows, and the card holding one, are left alone
    assert not synthetic.filter(card=catalogue["odd_real"].card).exists()
    # a realistic spread: both currencies, several sources, conditions and graded segments
    assert set(synthetic.values_list("currency", flat=True)) == {"USD", "EUR"}
    assert {"tcgplayer", "cardmarket", "scryfall"} <= set(synthetic.values_list("source",
                                                                                flat=True))
    assert synthetic.exclude(grade="raw").exists() and synthetic.exclude(condition="NM").exists()
    assert set(synthetic.values_list("variant", flat=True)) <= {
        "normal", "reverse_holofoil", "nonfoil", "foil"}
    per_card = [n for n in synthetic.values("card").annotate(n=Count("pk"))
                .values_list("n", flat=True)]
    assert min(per_card) >= 1 and max(per_card) <= len(COMMON) + 2
    for price in synthetic:
        assert price.market_price > 0 and price.low_price <= price.market_price \
            <= price.high_price
        assert price.observations >= 1
    # levels follow the card: the NM raw TCGplayer price of a $20.50 card is near $20.50
    top = synthetic.get(card=catalogue["cards"][19], source="tcgplayer", condition="NM",
                        grade="raw", variant="normal")
    assert Decimal("14") < top.market_price < Decimal("30")
    assert PriceSnapshot.objects.filter(price__is_synthetic=True).count() == 200


def test_a_second_run_does_nothing_and_another_target_rebuilds(catalogue: dict) -> None:
    run("--rows", "120")
    first = list(Price.objects.filter(is_synthetic=True).order_by("pk").values_list(
        "pk", "market_price"))
    assert "nothing to do" in run("--rows", "120")
    assert list(Price.objects.filter(is_synthetic=True).order_by("pk").values_list(
        "pk", "market_price")) == first
    assert "Rebuilding: removing 120" in run("--rows", "90")
    assert Price.objects.filter(is_synthetic=True).count() == 90
    assert PriceSnapshot.objects.filter(price__is_synthetic=True).count() == 90


def test_days_build_history(catalogue: dict) -> None:
    run("--rows", "50", "--days", "3")
    assert Price.objects.filter(is_synthetic=True).count() == 50
    per_price = set(Price.objects.filter(is_synthetic=True).annotate(n=Count("snapshots"))
                    .values_list("n", flat=True))
    assert per_price == {3}


def test_refresh_walks_every_synthetic_row_and_leaves_real_ones(catalogue: dict) -> None:
    run("--rows", "150")
    before = {p.pk: p for p in Price.objects.filter(is_synthetic=True)}
    real = real_rows()
    assert "Refreshed 150 synthetic prices" in run("--refresh")
    after = {p.pk: p for p in Price.objects.filter(is_synthetic=True)}
    assert after.keys() == before.keys()  # the same keys, updated in place
    assert all(after[k].recorded_at > before[k].recorded_at for k in after)
    moved = [k for k in after if after[k].market_price != before[k].market_price]
    assert len(moved) > 100
    for key, price in after.items():
        ratio = price.market_price / before[key].market_price
        assert Decimal("0.85") < ratio < Decimal("1.15") or price.market_price < 1
    assert real_rows() == real


def test_refresh_is_a_same_day_rescrape_and_next_day_adds_a_snapshot(catalogue: dict) -> None:
    run("--rows", "40")
    built = Price.objects.filter(is_synthetic=True).aggregate(at=Max("recorded_at"))["at"]
    run("--refresh")
    same_day = Price.objects.filter(is_synthetic=True).aggregate(at=Max("recorded_at"))["at"]
    assert same_day > built and same_day.astimezone(UTC).date() == built.astimezone(UTC).date()
    assert PriceSnapshot.objects.filter(price__is_synthetic=True).count() == 40
    assert "as of" in run("--refresh", "--next-day")
    next_day = Price.objects.filter(is_synthetic=True).aggregate(at=Max("recorded_at"))["at"]
    assert next_day == same_day + timedelta(days=1)
    per_price = set(Price.objects.filter(is_synthetic=True).annotate(n=Count("snapshots"))
                    .values_list("n", flat=True))
    assert per_price == {2}
    with pytest.raises(CommandError, match="--next-day goes with --refresh"):
        run("--rows", "40", "--next-day")


def test_refresh_and_build_say_what_is_missing() -> None:
    with pytest.raises(CommandError, match="no synthetic prices to refresh"):
        run("--refresh")
    CardFactory()  # a real card only
    with pytest.raises(CommandError, match="catalogue_scale_synthetic"):
        run("--rows", "10")


def test_more_rows_than_the_cards_hold_is_refused(catalogue: dict) -> None:
    with pytest.raises(CommandError, match="hold at most"):
        run("--rows", "100000")
    assert not Price.objects.filter(is_synthetic=True).exists()


def test_delete_removes_synthetic_prices_and_their_snapshots_only(catalogue: dict) -> None:
    run("--rows", "80", "--days", "2")
    real = real_rows()
    assert "Deleted 80 synthetic prices and 160 snapshots" in run("--delete")
    assert not Price.objects.filter(is_synthetic=True).exists()
    assert real_rows() == real
    assert PriceSnapshot.objects.filter(price=catalogue["real"]).count() == 1
    assert "Deleted 0 synthetic prices" in run("--delete")


def test_plan_is_exact_and_respects_each_cards_keys() -> None:
    slots = COMMON[:5]
    cards = [CardInfo(i, slots[: 1 + i % 5], ("normal",), 1.0 + i) for i in range(200)]
    for rows in (0, 1, 200, 333, 599, sum(len(c.slots) for c in cards)):
        counts = Command.plan(cards, rows, random.Random(1))  # noqa: S311
        assert sum(counts) == rows
        assert all(0 <= n <= len(c.slots) for n, c in zip(counts, cards, strict=True))


@pytest.mark.parametrize("workers", [1, 3])
def test_the_pipeline_writes_every_batch_once(workers: int) -> None:
    written: list[int] = []
    progress: list[int] = []

    def write(batch: list) -> int:
        written.extend(batch)
        return len(batch) - 1  # "one row of each batch was stale"

    batches = ([n * 10 + i for i in range(10)] for n in range(25))
    assert upsert_pipeline(batches, workers=workers, done=progress.append, write=write) == 225
    assert sorted(written) == list(range(250)) and sum(progress) == 250


def test_a_failing_batch_stops_the_pipeline_and_is_raised() -> None:
    produced: list[int] = []

    def batches():  # noqa: ANN202
        for n in range(1000):
            produced.append(n)
            yield [n]

    def write(batch: list) -> int:
        if batch[0] == 3:
            raise RuntimeError("database went away")
        return 1

    with pytest.raises(RuntimeError, match="database went away"):
        upsert_pipeline(batches(), workers=2, write=write)
    assert len(produced) < 1000


def test_sqlite_refuses_concurrent_workers(catalogue: dict) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with pytest.raises(CommandError, match="1 on SQLite"):
        call_command("price_scale_synthetic", "--rows", "10", "--workers", "2")
