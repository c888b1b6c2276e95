"""Card and sealed summaries: the reference series, best_price and price_change_7d."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalogue.models import Card, SealedProduct
from catalogue.tests.factories import CardFactory, SealedProductFactory
from pricing.ingest import Quote, prices_ingest
from pricing.models import FxRate, Price
from pricing.summaries import price_summaries_refresh
from pricing.tests.book import history, put

pytestmark = pytest.mark.django_db


def refresh(*cards: Card, sealed: tuple = ()) -> None:
    price_summaries_refresh(card_ids={c.pk for c in cards}, sealed_ids={s.pk for s in sealed})


def primary(card: Card) -> Price | None:
    return Price.objects.filter(card=card, is_primary=True).first()


# --- Reference series -------------------------------------------------------------------------


def test_reference_series_is_the_raw_nm_row_with_most_recent_history() -> None:
    card = CardFactory()
    history(card, "cardmarket", {1: "9", 2: "9", 3: "9"}, currency="EUR")
    history(card, "tcgplayer", {1: "10", 5: "10"})
    put(card, "ebay", "500", grade="psa_10")
    put(card, "cardtrader", "4", condition="LP", currency="EUR")
    refresh(card)

    assert primary(card).source == "cardmarket"
    assert Price.objects.filter(card=card, is_primary=True).count() == 1


def test_reference_series_ignores_snapshots_older_than_90_days() -> None:
    card = CardFactory()
    history(card, "cardmarket", {100: "9", 120: "9", 130: "9", 1: "9"}, currency="EUR")
    history(card, "scryfall", {1: "10", 2: "10"})
    refresh(card)

    assert primary(card).source == "scryfall"


def test_reference_series_prefers_english_then_source_order_then_id() -> None:
    card = CardFactory()
    history(card, "cardtrader", {1: "5", 2: "5", 3: "5"}, language="ja", currency="EUR")
    put(card, "cardmarket", "7", currency="EUR")
    put(card, "pricecharting", "8")
    refresh(card)
    assert primary(card).source == "pricecharting"  # en beats more history; source order

    put(card, "pricecharting", "8", variant="holofoil")
    refresh(card)
    assert primary(card).variant == "normal"  # same source and history: the lower id


def test_reference_series_moves_and_the_old_flag_is_cleared() -> None:
    card = CardFactory()
    put(card, "cardmarket", "7", currency="EUR")
    refresh(card)
    assert primary(card).source == "cardmarket"

    history(card, "tcgplayer", {1: "8", 2: "8"})
    refresh(card)

    assert list(Price.objects.filter(card=card, is_primary=True)
                .values_list("source", flat=True)) == ["tcgplayer"]


def test_card_without_raw_nm_rows_has_no_reference_series() -> None:
    card = CardFactory()
    put(card, "ebay", "300", grade="psa_10")
    put(card, "cardtrader", "3", condition="HP", currency="EUR")
    refresh(card)

    assert primary(card) is None
    card.refresh_from_db()
    assert card.best_price is None and card.price_change_7d is None


# --- best_price -------------------------------------------------------------------------------


def test_best_price_is_the_lowest_raw_nm_usd_price_across_sources_and_variants() -> None:
    FxRate.objects.create(date=timezone.now().date(), currency="USD", rate=Decimal("1.10"))
    card = CardFactory()
    put(card, "tcgplayer", "12.00", variant="holofoil")
    put(card, "tcgplayer", "11.50", variant="reverse_holofoil")
    put(card, "cardmarket", "10.00", currency="EUR")  # 11.00 USD
    put(card, "ebay", "5.00", grade="psa_9")  # graded: not a raw price
    put(card, "cardtrader", "2.00", condition="MP", currency="EUR")  # not NM
    refresh(card)

    card.refresh_from_db()
    assert card.best_price == Decimal("11.00")


def test_best_price_leaves_out_currencies_without_an_fx_rate() -> None:
    card = CardFactory()
    put(card, "tcgplayer", "12.00")
    put(card, "cardmarket", "1.00", currency="EUR")  # no EUR/USD rate stored
    refresh(card)

    card.refresh_from_db()
    assert card.best_price == Decimal("12.00")

    euro_only = CardFactory()
    put(euro_only, "cardmarket", "3.00", currency="EUR")
    refresh(euro_only)
    euro_only.refresh_from_db()
    assert euro_only.best_price is None


def test_best_price_prefers_english_rows() -> None:
    card = CardFactory()
    put(card, "tcgplayer", "12.00")
    put(card, "cardtrader", "1.00", language="ja")
    japanese_only = CardFactory()
    put(japanese_only, "cardtrader", "4.00", language="ja")
    put(japanese_only, "cardtrader", "3.00", language="de")
    refresh(card, japanese_only)

    assert Card.objects.get(pk=card.pk).best_price == Decimal("12.00")
    assert Card.objects.get(pk=japanese_only.pk).best_price == Decimal("3.00")


def test_sealed_best_price() -> None:
    FxRate.objects.create(date=timezone.now().date(), currency="USD", rate=Decimal("1.2"))
    box = SealedProductFactory()
    put(box, "tcgplayer", "150.00")
    put(box, "cardmarket", "120.00", currency="EUR")  # 144.00 USD
    unpriced = SealedProductFactory(best_price=Decimal("99"))
    refresh(sealed=(box, unpriced))

    assert SealedProduct.objects.get(pk=box.pk).best_price == Decimal("144.00")
    assert SealedProduct.objects.get(pk=unpriced.pk).best_price is None


# --- price_change_7d --------------------------------------------------------------------------


def test_price_change_7d_compares_the_latest_with_a_snapshot_at_least_7_days_older() -> None:
    card = CardFactory()
    history(card, "tcgplayer", {12: "80", 9: "100", 4: "140", 0: "120"})
    history(card, "cardmarket", {0: "1"}, currency="EUR")  # not the reference series
    refresh(card)

    card.refresh_from_db()
    assert card.price_change_7d == Decimal("20.00")  # 100 (9 days ago) -> 120


def test_price_change_7d_is_null_without_a_week_of_history() -> None:
    card = CardFactory()
    history(card, "tcgplayer", {6: "100", 0: "120"})
    refresh(card)

    card.refresh_from_db()
    assert card.price_change_7d is None
    assert card.best_price == Decimal("120.00")


def test_price_change_7d_is_null_when_the_only_older_point_is_beyond_two_weeks() -> None:
    # as the market movers: a 400-day-old point is no 7-day change
    card = CardFactory()
    history(card, "tcgplayer", {400: "10", 15: "90", 3: "100", 0: "120"})
    refresh(card)

    card.refresh_from_db()
    assert card.price_change_7d is None
    assert card.best_price == Decimal("120.00")


def test_prices_gone_clear_the_summary() -> None:
    card = CardFactory(best_price=Decimal("5"), price_change_7d=Decimal("3"))
    refresh(card)

    card.refresh_from_db()
    assert (card.best_price, card.price_change_7d) == (None, None)


# --- Scale, wiring, command -------------------------------------------------------------------


def test_query_count_does_not_grow_with_the_number_of_cards(
        django_assert_max_num_queries) -> None:  # noqa: ANN001
    FxRate.objects.create(date=timezone.now().date(), currency="USD", rate=Decimal("1.1"))
    cards = CardFactory.create_batch(40)
    for index, card in enumerate(cards):
        history(card, "tcgplayer", {8: str(10 + index), 0: str(11 + index)})
        put(card, "cardmarket", str(9 + index), currency="EUR")
    # 40 cards fit one chunk: the reference choice (select + 2 updates), best prices, changes,
    # the summary update, FX lookups and the transaction's savepoints.
    with django_assert_max_num_queries(14):
        result = price_summaries_refresh(card_ids={c.pk for c in cards}, sealed_ids=set())

    assert result.cards == 40 and result.cards_changed == 40
    first = Card.objects.get(pk=cards[0].pk)
    assert (first.best_price, first.price_change_7d) == (Decimal("9.90"), Decimal("10.00"))


def test_summaries_follow_an_ingest(django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    card = CardFactory()
    with django_capture_on_commit_callbacks(execute=True):
        prices_ingest(source="tcgplayer", quotes=[Quote(
            ref=("card_id", card.pk), currency="USD", market=Decimal("42.00"))])

    card.refresh_from_db()
    assert card.best_price == Decimal("42.00")
    assert primary(card).source == "tcgplayer"


def test_refresh_command_backfills() -> None:
    card, other = CardFactory(), CardFactory(best_price=Decimal("1"))
    put(card, "tcgplayer", "3.50")

    call_command("price_summaries_refresh", verbosity=0)
    assert Card.objects.get(pk=card.pk).best_price == Decimal("3.50")
    assert Card.objects.get(pk=other.pk).best_price is None

    Card.objects.filter(pk=card.pk).update(best_price=None)
    call_command("price_summaries_refresh", "--all", verbosity=0)
    assert Card.objects.get(pk=card.pk).best_price == Decimal("3.50")
