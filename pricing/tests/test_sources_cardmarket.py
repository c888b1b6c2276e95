"""Cardmarket prices: pokemontcg.io `cardmarket` blocks and the Cardmarket price guide export,
parsers and full scrapes replayed from recorded payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalogue.tests.factories import CardFactory, CardSetFactory, SealedProductFactory, tcg
from csm.http import SourceError
from pricing.ingest import Quote, prices_ingest
from pricing.models import Price, ScrapeRun
from pricing.services import source_scrape_run
from pricing.sources.cardmarket import CardmarketAdapter, parse_card, parse_price_guide
from pricing.sources.support import RecordError
from pricing.tests.scrape_helpers import FAST, fixture_bytes, fixture_json, json_route

BASE1 = "/cards?q=set.id:base1&select=id,tcgplayer,cardmarket&page=1&pageSize=250"
GUIDE = "/price_guide_1.json"
GUIDE_CREATED = datetime(2024, 11, 20, 1, 51, 3, tzinfo=UTC)  # "2024-11-20T02:51:03+0100"


def pokemon(name: str, card_id: str) -> dict:
    return {c["id"]: c for c in fixture_json("pokemontcg", name)["data"]}[card_id]


def figures(quotes: list[Quote]) -> list[tuple]:
    return [(q.ref, q.variant, q.currency, q.market, q.low) for q in quotes]


# --- pokemontcg.io cardmarket blocks --------------------------------------------------------

def test_trend_is_the_market_price_and_low_the_lowest_offer() -> None:
    quotes = parse_card(pokemon("cards_base1.json", "base1-4"))
    # A holo rare's base product on Cardmarket is the holo card; no reverse holo exists.
    assert figures(quotes) == [(("pokemontcg_id", "base1-4"), "holofoil", "EUR",
                                Decimal("389.10"), Decimal("150.00"))]
    assert quotes[0].recorded_at == datetime(2024, 11, 20, tzinfo=UTC)
    assert quotes[0].mid is None and quotes[0].high is None


def test_reverse_holo_figures_become_the_reverse_holofoil_variant() -> None:
    quotes = parse_card(pokemon("cards_sv3.json", "sv3-1"))
    assert [(q.variant, q.market, q.low) for q in quotes] == [
        ("normal", Decimal("0.06"), Decimal("0.02")),
        ("reverse_holofoil", Decimal("0.19"), Decimal("0.02"))]


def test_a_card_without_tcgplayer_printings_is_priced_as_normal() -> None:
    card = {"id": "x-1", "cardmarket": {"updatedAt": "2024/11/20",
                                        "prices": {"trendPrice": 1.25, "lowPrice": 0}}}
    assert [(q.variant, q.market, q.low) for q in parse_card(card)] == [
        ("normal", Decimal("1.25"), None)]
    assert parse_card({"id": "x-2"}) == []
    with pytest.raises(RecordError):
        parse_card({"id": "x-3", "cardmarket": {"prices": "n/a"}})


# --- Price guide export ---------------------------------------------------------------------

def test_price_guide_quotes_singles_foils_and_sealed_products() -> None:
    batch = parse_price_guide(fixture_json("cardmarket", "price_guide_1.json"),
                              sealed_ids={619020})
    assert batch.invalid == 0
    assert figures(batch.quotes) == [
        (("cardmarket_product_id", 607153), "normal", "EUR", Decimal("0.05"), Decimal("0.02")),
        (("cardmarket_product_id", 607153), "foil", "EUR", Decimal("0.27"), Decimal("0.10")),
        (("cardmarket_product_id", 607027), "normal", "EUR", Decimal("5.12"), Decimal("3.20")),
        (("cardmarket_product_id", 607027), "foil", "EUR", Decimal("10.44"), Decimal("6.99")),
        (("cardmarket_product_id", 607325), "normal", "EUR", Decimal("0.10"), Decimal("0.02")),
        (("sealed_cardmarket_product_id", 619020), "normal", "EUR", Decimal("116.06"),
         Decimal("104.90")),
        # zero foil figures mean "no foil price"
        (("cardmarket_product_id", 9999991), "normal", "EUR", Decimal("0.02"),
         Decimal("0.02")),
    ]
    assert {q.recorded_at for q in batch.quotes} == {GUIDE_CREATED}


def test_pokemon_price_guide_holo_figures_are_reverse_holos() -> None:
    batch = parse_price_guide(fixture_json("cardmarket", "price_guide_6.json"))
    assert [(q.ref[1], q.variant, q.market) for q in batch.quotes] == [
        (732544, "normal", Decimal("0.05")), (732544, "reverse_holofoil", Decimal("0.20")),
        (732766, "normal", Decimal("87.31"))]


def test_price_guide_entries_that_cannot_be_read_are_counted() -> None:
    payload = fixture_json("cardmarket", "price_guide_1.json")
    payload["priceGuides"] += [{"idCategory": 1, "trend": 3}, "oops",
                               {"idProduct": True, "trend": 1}]
    batch = parse_price_guide(payload)
    assert batch.invalid == 3 and len(batch.quotes) == 7
    assert batch.errors[0].startswith("price guide product record #6")


@pytest.mark.parametrize("payload", [
    {"version": 1, "createdAt": "2024-11-20T02:51:03+0100"},
    {"priceGuides": {"idProduct": 1}},
    [{"idProduct": 1, "trend": 1}],
    {"priceGuides": [{"trend": 1}, {"low": 2}]},
])
def test_a_price_guide_of_the_wrong_shape_is_a_source_error(payload: object) -> None:
    with pytest.raises(SourceError):
        parse_price_guide(payload)


# --- Scrapes --------------------------------------------------------------------------------

@pytest.fixture
def catalogue(db) -> dict[str, object]:  # noqa: ANN001
    base1 = CardSetFactory(source_id="base1", external_ids={"pokemontcg_id": "base1"})
    neo = CardSetFactory(tcg=tcg("mtg"), source_id="NEO", external_ids={})
    return {
        "charizard": CardFactory(card_set=base1, pokemontcg_id="base1-4"),
        "pikachu": CardFactory(card_set=base1, pokemontcg_id="base1-58"),
        "katana": CardFactory(card_set=neo, cardmarket_product_id=607153),
        "ao": CardFactory(card_set=neo, cardmarket_product_id=607027),
        "box": SealedProductFactory(tcg=tcg("mtg"), cardmarket_product_id=619020),
    }


@pytest.fixture
def cardmarket_http(recorded_http, settings):  # noqa: ANN001, ANN201
    settings.PRICING_POKEMONTCG_URL = recorded_http.url
    settings.PRICING_CARDMARKET_URL = recorded_http.url
    settings.PRICING_CARDMARKET_GAMES = ["1"]
    recorded_http.routes[BASE1] = (200, fixture_bytes("pokemontcg", "cards_base1.json"),
                                   "application/json")
    recorded_http.routes[GUIDE] = (200, fixture_bytes("cardmarket", "price_guide_1.json"),
                                   "application/json")
    return recorded_http


@pytest.mark.django_db
def test_scrape_reads_both_inputs_and_writes_euro_prices(catalogue, cardmarket_http) -> None:
    run = source_scrape_run(source="cardmarket", set_ids=["base1"], **FAST)
    assert cardmarket_http.requests == [BASE1, GUIDE]
    # 3 pokemontcg.io quotes (Blastoise is not in the catalogue) + 7 price guide quotes
    # (products 607325 and 9999991 are not in the catalogue)
    assert (run.status, run.fetched, run.written, run.unmatched) == (
        ScrapeRun.Status.OK, 10, 7, 3)
    assert set(Price.objects.filter(source="cardmarket", currency="EUR").values_list(
        "card__pokemontcg_id", "card__cardmarket_product_id", "sealed_product_id", "variant",
        "market_price", "low_price")) == {
        ("base1-4", None, None, "holofoil", Decimal("389.10"), Decimal("150.00")),
        ("base1-58", None, None, "normal", Decimal("2.08"), Decimal("0.40")),
        (None, 607153, None, "normal", Decimal("0.05"), Decimal("0.02")),
        (None, 607153, None, "foil", Decimal("0.27"), Decimal("0.10")),
        (None, 607027, None, "normal", Decimal("5.12"), Decimal("3.20")),
        (None, 607027, None, "foil", Decimal("10.44"), Decimal("6.99")),
        (None, None, catalogue["box"].pk, "normal", Decimal("116.06"), Decimal("104.90")),
    }


@pytest.mark.django_db
def test_scrape_of_the_price_guide_alone(catalogue, cardmarket_http) -> None:
    run = source_scrape_run(source="cardmarket", inputs=["price_guide"], **FAST)
    assert cardmarket_http.requests == [GUIDE]
    assert (run.written, run.unmatched) == (5, 2)


@pytest.mark.django_db
def test_unknown_inputs_fail_the_run(catalogue, cardmarket_http) -> None:
    run = source_scrape_run(source="cardmarket", inputs=["ebay"], **FAST)
    assert run.status == ScrapeRun.Status.FAILED and "ebay" in run.error
    assert cardmarket_http.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize("broken", [
    json_route({"version": 1, "createdAt": "2024-11-20T02:51:03+0100", "products": []}),
    json_route(b'{"version": 1, "priceGuides": [{"idProduct": 607153, "trend": 0.0'),
    json_route({"message": "Access Denied"}, status=403),
    json_route({"message": "Service Unavailable"}, status=503),
], ids=["wrong-shape", "truncated", "http-403", "http-503"])
def test_a_faulty_price_guide_leaves_stored_prices_untouched(catalogue, cardmarket_http,
                                                             broken) -> None:
    prices_ingest(source="cardmarket", quotes=[Quote(
        ref=("card_id", catalogue["katana"].pk), currency="EUR", market=Decimal("0.07"),
        recorded_at=datetime(2024, 11, 1, tzinfo=UTC))])
    cardmarket_http.routes[GUIDE] = broken
    run = source_scrape_run(source="cardmarket", set_ids=["base1"], **FAST)
    assert run.status == ScrapeRun.Status.FAILED and run.error.startswith("SourceError")
    assert list(Price.objects.values_list("card_id", "market_price")) == [
        (catalogue["katana"].pk, Decimal("0.07"))]


@pytest.mark.django_db
def test_the_adapter_reads_a_saved_price_guide_or_card_page(catalogue, tmp_path) -> None:
    guide = tmp_path / "price_guide_1.json"
    guide.write_bytes(fixture_bytes("cardmarket", "price_guide_1.json"))
    batch = CardmarketAdapter(file=str(guide)).scrape()
    assert ("sealed_cardmarket_product_id", 619020) in {q.ref for q in batch.quotes}
    page = tmp_path / "base1.json"
    page.write_bytes(fixture_bytes("pokemontcg", "cards_base1.json"))
    assert len(CardmarketAdapter(file=str(page)).scrape().quotes) == 3
