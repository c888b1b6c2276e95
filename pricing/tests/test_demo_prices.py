"""The demo's price history: loaded by demo_load after the catalogue, idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.db.models import Count, Max, Min

from catalogue import demo as catalogue_demo
from catalogue.demo import importer_available
from catalogue.models import Card, SealedProduct
from csm.management.commands.demo_load import STEPS
from pricing import demo
from pricing.models import Price, PriceSnapshot, ScrapeRun

pytestmark = pytest.mark.django_db

# What the shipped history gives the demo catalogue: every linked single and every sealed
# product of the products CSV; SV08.5 and SV09 singles have no set in the demo catalogue.
PRICED_CARDS = 18
PRICED_SEALED = 23
SNAPSHOTS = 19_557


@pytest.fixture
def marker(settings, tmp_path: Path) -> Path:  # noqa: ANN001
    settings.CSM_DEMO_MARKER = str(tmp_path / "demo_catalogue.json")
    return tmp_path / "demo_catalogue.json"


def _state() -> tuple:
    return (list(Price.objects.order_by("pk").values_list()),
            list(PriceSnapshot.objects.order_by("price_id", "date").values_list()),
            ScrapeRun.objects.count())


def test_the_price_step_runs_after_the_catalogue_products() -> None:
    names = [step.name for step in STEPS]
    products = names.index("catalogue: TCGplayer products (price CSV)")
    assert names.index("prices: TCGplayer price history (price CSV)") == products + 1


def test_without_products_the_step_says_it_skipped() -> None:
    assert demo.demo_price_history().startswith("SKIPPED: no Pokémon products")
    assert not Price.objects.exists()


@pytest.mark.skipif(not importer_available("pokemontcg"),
                    reason="the pokemontcg importer is not installed")
def test_demo_history_prices_the_demo_products_once(marker: Path) -> None:  # noqa: ARG001
    steps = dict(catalogue_demo.DEMO_STEPS)
    steps["catalogue: Pokémon (pokemontcg.io)"]()
    steps["catalogue: TCGplayer products (price CSV)"]()

    line = demo.demo_price_history()
    assert "18 cards, 23 sealed, 2 unmatched" in line and line.endswith(
        "set SV09 is not in the catalogue")
    assert "wrote 41 prices" in line and f"{SNAPSHOTS:,} daily snapshots" in line
    cards = Card.objects.filter(prices__source="tcgplayer").distinct()
    assert cards.count() == PRICED_CARDS
    assert set(cards.values_list("tcgplayer_product_id", flat=True)) == set(
        Card.objects.filter(tcg__slug="pokemon", tcgplayer_product_id__isnull=False)
        .values_list("tcgplayer_product_id", flat=True))
    assert SealedProduct.objects.filter(prices__source="tcgplayer").distinct().count() \
        == PRICED_SEALED
    assert set(Price.objects.values_list("variant", "currency", "grade", "condition")) == {
        ("holofoil", "USD", "raw", "NM"), ("normal", "USD", "raw", "NM")}
    assert PriceSnapshot.objects.count() == SNAPSHOTS
    # every product has a long daily history, ending at its latest period
    per_price = Price.objects.annotate(n=Count("snapshots"), first=Min("snapshots__date"),
                                       last=Max("snapshots__date"))
    assert min(p.n for p in per_price) > 400
    assert all(p.last == p.recorded_at.date() for p in per_price)
    assert min(p.first for p in per_price) == date(2025, 4, 22)
    assert max(p.last for p in per_price) == date(2026, 8, 22)
    charizard = Price.objects.get(card__card_set__source_id="sv3", card__number="223")
    assert charizard.variant == "holofoil" and charizard.market_price > 0
    assert ScrapeRun.objects.filter(source="tcgplayer_history").count() == 1

    before = _state()
    again = demo.demo_price_history()
    assert "wrote 0 prices" in again and "0 daily snapshots" in again
    assert again.split(" — ")[0].endswith("; no changes")
    assert _state() == before  # nothing written, no scrape run recorded
