"""The price book's write path: validation, duplicate merging, outlier guard, snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from catalogue.tests.factories import CardFactory, SealedProductFactory
from pricing.ingest import (
    OUTLIER_STREAK,
    Quote,
    price_reference_refresh,
    prices_changed,
    prices_ingest,
)
from pricing.models import Price, PriceSnapshot

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def q(card, market, *, at=T0, **kw) -> Quote:  # noqa: ANN001
    return Quote(ref=("card_id", card.pk), currency=kw.pop("currency", "USD"),
                 market=Decimal(str(market)) if market is not None else None,
                 recorded_at=at, **kw)


def test_ingest_writes_prices_and_a_daily_snapshot() -> None:
    card = CardFactory(pokemontcg_id="base1-4")
    result = prices_ingest(source="tcgplayer", quotes=[
        Quote(ref=("pokemontcg_id", "base1-4"), currency="USD", market=Decimal("894.61"),
              low=Decimal("700"), high=Decimal("2140"), variant="holofoil", recorded_at=T0),
        q(card, "12.50", variant="reverse_holofoil"),
    ])
    assert (result.written, result.invalid, result.unmatched) == (2, 0, 0)
    assert result.card_ids == {card.pk}
    price = Price.objects.get(card=card, variant="holofoil")
    assert price.market_price == Decimal("894.61")
    assert price.high_price == Decimal("2140.00")
    assert list(price.snapshots.values_list("date", "market_price")) == [
        (T0.date(), Decimal("894.61"))]


def test_invalid_and_unmatched_quotes_are_counted_not_written() -> None:
    card = CardFactory()
    result = prices_ingest(source="tcgplayer", quotes=[
        q(card, None), q(card, "-3"), q(card, "5", currency="XXX"),
        q(card, "5", condition="MINT"),
        Quote(ref=("pokemontcg_id", "nope-1"), currency="USD", market=Decimal("3")),
        q(card, "4.20"),
    ])
    assert (result.received, result.invalid, result.unmatched, result.written) == (6, 4, 1, 1)
    assert Price.objects.get().market_price == Decimal("4.20")


def test_duplicate_keys_in_a_batch_are_merged() -> None:
    card = CardFactory()
    result = prices_ingest(source="cardtrader", quotes=[
        q(card, "10", low=Decimal("9"), observations=2, currency="EUR"),
        q(card, "14", low=Decimal("8"), observations=3, currency="EUR"),
        q(card, "11", high=Decimal("20"), observations=1, currency="EUR"),
    ])
    assert result.merged == 2
    price = Price.objects.get()
    assert (price.market_price, price.low_price, price.high_price, price.observations) == (
        Decimal("11.00"), Decimal("8.00"), Decimal("20.00"), 6)


def test_outlier_is_held_back_until_it_persists() -> None:
    card = CardFactory()
    for day in range(7):
        prices_ingest(source="tcgplayer", quotes=[q(card, 100 + day, at=T0 + timedelta(days=day))])
    assert price_reference_refresh(today=(T0 + timedelta(days=6)).date()) == 1
    price = Price.objects.get()
    assert price.reference_price == Decimal("103.00")

    spike = T0 + timedelta(days=7)
    for attempt in range(1, OUTLIER_STREAK):
        result = prices_ingest(source="tcgplayer",
                               quotes=[q(card, 5000, at=spike + timedelta(hours=attempt))])
        assert (result.written, result.outliers) == (0, 1)
        price.refresh_from_db()
        assert price.market_price == Decimal("106.00")
        assert price.rejected_price == Decimal("5000.00")
        assert price.outlier_streak == attempt
    # The move persisted: accepted.
    result = prices_ingest(source="tcgplayer",
                           quotes=[q(card, 5000, at=spike + timedelta(hours=OUTLIER_STREAK))])
    assert (result.written, result.outliers) == (1, 0)
    price.refresh_from_db()
    assert (price.market_price, price.outlier_streak, price.rejected_price) == (
        Decimal("5000.00"), 0, None)


def test_in_range_price_resets_the_outlier_streak() -> None:
    card = CardFactory()
    prices_ingest(source="tcgplayer", quotes=[q(card, 100)])
    price_reference_refresh(today=T0.date())
    prices_ingest(source="tcgplayer", quotes=[q(card, 1000, at=T0 + timedelta(hours=1))])
    prices_ingest(source="tcgplayer", quotes=[q(card, 110, at=T0 + timedelta(hours=2))])
    price = Price.objects.get()
    assert (price.market_price, price.outlier_streak) == (Decimal("110.00"), 0)


def test_an_older_quote_never_overwrites_a_newer_price() -> None:
    card = CardFactory()
    prices_ingest(source="tcgplayer", quotes=[q(card, 50, at=T0)])
    result = prices_ingest(source="tcgplayer", quotes=[q(card, 40, at=T0 - timedelta(days=1))])
    assert (result.written, result.stale) == (0, 1)
    assert Price.objects.get().market_price == Decimal("50.00")


def test_same_day_updates_keep_one_snapshot_with_the_last_value() -> None:
    card = CardFactory()
    prices_ingest(source="tcgplayer", quotes=[q(card, 50, at=T0)])
    prices_ingest(source="tcgplayer", quotes=[q(card, 52, at=T0 + timedelta(hours=3))])
    prices_ingest(source="tcgplayer", quotes=[q(card, 53, at=T0 + timedelta(days=1))])
    assert list(PriceSnapshot.objects.order_by("date").values_list("market_price", flat=True)) \
        == [Decimal("52.00"), Decimal("53.00")]


def test_one_batch_mixes_new_keys_same_day_and_next_day_updates_and_stale_quotes() -> None:
    cards = CardFactory.create_batch(4)
    prices_ingest(source="tcgplayer", quotes=[q(cards[0], 10, at=T0), q(cards[1], 20, at=T0),
                                              q(cards[2], 30, at=T0 + timedelta(days=1))])
    result = prices_ingest(source="tcgplayer", quotes=[
        q(cards[0], 11, at=T0 + timedelta(hours=2)),  # same day: today's snapshot updated
        q(cards[1], 21, at=T0 + timedelta(days=1)),  # next day: a second snapshot
        q(cards[2], 29, at=T0),  # older than the stored price: ignored
        q(cards[3], 40, at=T0),  # a new key: a new price and its first snapshot
    ])
    assert (result.written, result.stale) == (3, 1)
    history = {card.pk: list(PriceSnapshot.objects.filter(price__card=card).order_by("date")
                             .values_list("date", "market_price")) for card in cards}
    day0, day1 = T0.date(), (T0 + timedelta(days=1)).date()
    assert history == {
        cards[0].pk: [(day0, Decimal("11.00"))],
        cards[1].pk: [(day0, Decimal("20.00")), (day1, Decimal("21.00"))],
        cards[2].pk: [(day1, Decimal("30.00"))],
        cards[3].pk: [(day0, Decimal("40.00"))],
    }


def test_deleting_a_price_deletes_its_snapshots() -> None:
    # The snapshot's foreign key is not checked by the database (see the model): the ORM's
    # cascade is what keeps the history free of orphans.
    card = CardFactory()
    prices_ingest(source="tcgplayer", quotes=[q(card, 10, at=T0),
                                              q(card, 12, at=T0, variant="holofoil")])
    prices_ingest(source="tcgplayer", quotes=[q(card, 11, at=T0 + timedelta(days=1))])
    Price.objects.filter(variant="normal").delete()
    assert list(PriceSnapshot.objects.values_list("price__variant", flat=True)) == ["holofoil"]
    card.delete()
    assert not PriceSnapshot.objects.exists()


def test_sealed_products_and_cards_share_the_book() -> None:
    card = CardFactory()
    box = SealedProductFactory(tcgplayer_product_id=555)
    result = prices_ingest(source="tcgplayer", quotes=[
        q(card, 3), Quote(ref=("sealed_tcgplayer_product_id", "555"), currency="USD",
                          market=Decimal("129.99"), recorded_at=T0)])
    assert result.sealed_ids == {box.pk} and result.card_ids == {card.pk}
    assert Price.objects.get(sealed_product=box).market_price == Decimal("129.99")


def test_prices_changed_fires_after_commit_with_the_changed_ids(
        django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    card = CardFactory()
    seen: list[set[int]] = []

    def receiver(sender, card_ids, sealed_ids, source, **kwargs) -> None:  # noqa: ANN001, ANN003
        seen.append(card_ids)

    prices_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            prices_ingest(source="tcgplayer", quotes=[q(card, 3)])
        with django_capture_on_commit_callbacks(execute=True):
            prices_ingest(source="tcgplayer", quotes=[q(card, 2, at=T0 - timedelta(days=3))])
    finally:
        prices_changed.disconnect(receiver)
    assert seen == [{card.pk}]


def test_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        prices_ingest(source="nope", quotes=[])


def test_text_from_sources_is_stored_verbatim_except_control_characters() -> None:
    card = CardFactory()
    prices_ingest(source="ebay", quotes=[q(card, 3, variant="alt\\art\tfoil", grade="psa_10")])
    price = Price.objects.get()
    assert (price.variant, price.grade) == ("alt\\art foil", "psa_10")


def test_a_large_batch_on_many_cards_is_written_once(django_assert_max_num_queries) -> None:  # noqa: ANN001
    cards = CardFactory.create_batch(30)
    quotes = [q(card, 1 + n, variant=variant) for n, card in enumerate(cards)
              for variant in ("normal", "holofoil", "reverse_holofoil")]
    with django_assert_max_num_queries(16):
        result = prices_ingest(source="tcgplayer", quotes=quotes)
    assert result.written == 90 and Price.objects.count() == 90
    assert PriceSnapshot.objects.count() == 90


def test_rows_stream_in_chunks_without_losing_or_splitting_any(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr("pricing.ingest.COPY_CHUNK", 7)
    cards = CardFactory.create_batch(30)
    quotes = [q(card, f"{1 + n}.{n % 100:02d}", variant=variant, language="ja\tx")
              for n, card in enumerate(cards) for variant in ("normal", "holofoil")]
    assert prices_ingest(source="tcgplayer", quotes=quotes).written == 60
    stored = dict(Price.objects.values_list("card_id", "market_price").filter(variant="normal"))
    assert stored == {card.pk: Decimal(f"{1 + n}.{n % 100:02d}") for n, card in enumerate(cards)}
    assert set(Price.objects.values_list("language", flat=True)) == {"ja x"}


@pytest.mark.postgres
@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                    reason="needs DATABASE_URL=postgresql://…")
def test_a_same_day_rescrape_with_the_same_figures_leaves_the_snapshot_row_alone() -> None:
    card = CardFactory()
    prices_ingest(source="tcgplayer", quotes=[q(card, 50, at=T0)])

    def version() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT xmin::text FROM pricing_pricesnapshot")
            return cursor.fetchone()[0]

    before = version()
    result = prices_ingest(source="tcgplayer", quotes=[q(card, 50, at=T0 + timedelta(hours=1))])
    assert result.written == 1
    assert Price.objects.get().recorded_at == T0 + timedelta(hours=1)
    assert version() == before  # no new row version for unchanged figures
    prices_ingest(source="tcgplayer", quotes=[q(card, 51, at=T0 + timedelta(hours=2))])
    assert version() != before
    assert PriceSnapshot.objects.get().market_price == Decimal("51.00")
