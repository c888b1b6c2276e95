"""TCGplayer prices from pokemontcg.io card objects: the parser and full scrapes replayed
from recorded pages."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalogue.tests.factories import CardFactory, CardSetFactory
from pricing.ingest import Quote, prices_ingest
from pricing.models import Price, PriceSnapshot, ScrapeRun
from pricing.services import source_scrape_run
from pricing.sources.support import RecordError
from pricing.sources.tcgplayer import TcgplayerAdapter, parse_card
from pricing.tests.scrape_helpers import FAST, fixture_bytes, fixture_json, json_route

BASE1 = "/cards?q=set.id:base1&select=id,tcgplayer&page=1&pageSize=250"
SV3 = "/cards?q=set.id:sv3&select=id,tcgplayer&page=1&pageSize=250"


def cards(name: str) -> dict:
    return {card["id"]: card for card in fixture_json("pokemontcg", name)["data"]}


# --- Parser ---------------------------------------------------------------------------------

def test_parser_quotes_each_printing_in_usd_with_the_catalogue_variant_names() -> None:
    quotes = parse_card(cards("cards_base1.json")["base1-4"])
    assert [(q.variant, q.market, q.low, q.mid, q.high) for q in quotes] == [
        ("holofoil", Decimal("446.45"), Decimal("300.00"), Decimal("449.99"),
         Decimal("1249.99")),
        ("1st_edition_holofoil", Decimal("11250.00"), Decimal("8900.00"), Decimal("11999.99"),
         Decimal("29999.00")),
    ]
    assert {(q.ref, q.currency, q.condition, q.grade) for q in quotes} == {
        (("pokemontcg_id", "base1-4"), "USD", "NM", "raw")}
    assert quotes[0].recorded_at == datetime(2024, 11, 20, tzinfo=UTC)


def test_parser_maps_reverse_holo_and_skips_printings_without_a_market_price() -> None:
    reverse = parse_card(cards("cards_sv3.json")["sv3-1"])
    assert [(q.variant, q.market) for q in reverse] == [
        ("normal", Decimal("0.08")), ("reverse_holofoil", Decimal("0.21"))]
    # Pikachu's 1st Edition has listings but no market price (no sales): not a price.
    pikachu = parse_card(cards("cards_base1.json")["base1-58"])
    assert [q.variant for q in pikachu] == ["normal"]
    assert parse_card(cards("cards_base1.json")["base1-99"]) == []


@pytest.mark.parametrize("variant_key,expected", [
    ("1stEditionNormal", "1st_edition_normal"), ("unlimitedHolofoil", "unlimited_holofoil"),
    ("reverseHolofoil", "reverse_holofoil")])
def test_parser_names_every_documented_printing(variant_key: str, expected: str) -> None:
    card = {"id": "x-1", "tcgplayer": {"updatedAt": "2024/11/20",
                                       "prices": {variant_key: {"market": 1.5}}}}
    assert [q.variant for q in parse_card(card)] == [expected]


@pytest.mark.parametrize("card", [
    "not an object", {"name": "no id"}, {"id": "x-1", "tcgplayer": "cheap"},
    {"id": "x-1", "tcgplayer": {"prices": [1, 2]}},
    {"id": "x-1", "tcgplayer": {"prices": {"holofoil": 3.5}}},
    {"id": "x-1", "tcgplayer": {"prices": {"holo foil!": {"market": 3.5}}}},
])
def test_parser_rejects_malformed_card_objects(card: object) -> None:
    with pytest.raises(RecordError):
        parse_card(card)


def test_an_unreadable_date_leaves_the_quote_undated() -> None:
    card = {"id": "x-1", "tcgplayer": {"updatedAt": "yesterday",
                                       "prices": {"normal": {"market": "0.50"}}}}
    (quote,) = parse_card(card)
    assert quote.recorded_at is None and quote.market == Decimal("0.50")


# --- Scrapes --------------------------------------------------------------------------------

@pytest.fixture
def pokemon_cards(db) -> dict[str, object]:  # noqa: ANN001
    base1 = CardSetFactory(source_id="base1", external_ids={"pokemontcg_id": "base1"})
    sv3 = CardSetFactory(source_id="sv3", external_ids={"pokemontcg_id": "sv3"})
    CardSetFactory(source_id="synthetic-1", external_ids={"pokemontcg_id": "zz9"},
                   is_synthetic=True)
    found = {pid: CardFactory(card_set=base1, pokemontcg_id=pid)
             for pid in ("base1-2", "base1-4", "base1-58")}
    found["sv3-1"] = CardFactory(card_set=sv3, pokemontcg_id="sv3-1")
    return found


@pytest.fixture
def pokemontcg_api(recorded_http, settings):  # noqa: ANN001, ANN201
    settings.PRICING_POKEMONTCG_URL = recorded_http.url
    settings.POKEMONTCG_API_KEY = ""
    recorded_http.routes[BASE1] = (200, fixture_bytes("pokemontcg", "cards_base1.json"),
                                   "application/json")
    recorded_http.routes[SV3] = (200, fixture_bytes("pokemontcg", "cards_sv3.json"),
                                 "application/json")
    return recorded_http


@pytest.mark.django_db
def test_scrape_writes_prices_for_every_catalogue_set(pokemon_cards, pokemontcg_api,
                                                      django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(22):
        run = source_scrape_run(source="tcgplayer", **FAST)
    assert sorted(pokemontcg_api.requests) == sorted([BASE1, SV3])  # not the synthetic set
    assert (run.status, run.fetched, run.written, run.unmatched, run.invalid) == (
        ScrapeRun.Status.OK, 7, 6, 1, 0)  # sv3-223 is not in the catalogue
    assert run.progress == 100 and run.finished_at is not None
    charizard = Price.objects.get(card=pokemon_cards["base1-4"], variant="holofoil")
    assert (charizard.source, charizard.currency, charizard.market_price, charizard.low_price,
            charizard.mid_price, charizard.high_price) == (
        "tcgplayer", "USD", Decimal("446.45"), Decimal("300.00"), Decimal("449.99"),
        Decimal("1249.99"))
    assert charizard.recorded_at == datetime(2024, 11, 20, tzinfo=UTC)
    assert set(Price.objects.filter(card=pokemon_cards["sv3-1"])
               .values_list("variant", "market_price")) == {
        ("normal", Decimal("0.08")), ("reverse_holofoil", Decimal("0.21"))}
    assert PriceSnapshot.objects.filter(price=charizard).get().date.isoformat() == "2024-11-20"
    assert "X-Api-Key" not in pokemontcg_api.headers[0]


@pytest.mark.django_db
def test_scrape_of_chosen_sets_sends_the_api_key(pokemon_cards, pokemontcg_api,
                                                 settings) -> None:
    settings.POKEMONTCG_API_KEY = "k-123"
    run = source_scrape_run(source="tcgplayer", set_ids=["sv3"], **FAST)
    assert pokemontcg_api.requests == [SV3]
    assert pokemontcg_api.headers[0]["X-Api-Key"] == "k-123"
    assert (run.written, run.unmatched) == (2, 1)
    assert not Price.objects.filter(card=pokemon_cards["base1-4"]).exists()


@pytest.mark.django_db
def test_a_page_of_malformed_cards_is_counted_and_the_rest_written(pokemon_cards,
                                                                   pokemontcg_api) -> None:
    page = fixture_json("pokemontcg", "cards_sv3.json")
    page["data"].append({"id": "sv3-2", "tcgplayer": {"prices": {"normal": "cheap"}}})
    pokemontcg_api.routes[SV3] = json_route(page)
    run = source_scrape_run(source="tcgplayer", set_ids=["sv3"], **FAST)
    assert (run.status, run.written, run.invalid, run.fetched) == (
        ScrapeRun.Status.PARTIAL, 2, 1, 4)
    assert "sv3-2" in run.error


def _stored_charizard(card: object) -> Price:
    prices_ingest(source="tcgplayer", quotes=[Quote(
        ref=("card_id", card.pk), currency="USD", market=Decimal("400.00"),
        variant="holofoil", recorded_at=datetime(2024, 11, 1, tzinfo=UTC))])
    return Price.objects.get(card=card)


@pytest.mark.django_db
@pytest.mark.parametrize("broken", [
    (500, b'{"error": "internal"}', "application/json"),
    (200, b'{"data": [{"id": "sv3-1", "tcgplayer": {"prices": {"normal": {"m', "application/json"),
    (200, b"<html>maintenance</html>", "text/html"),
    (200, b'{"data": {"id": "sv3-1"}}', "application/json"),
], ids=["http-500", "truncated-json", "garbage", "wrong-shape"])
def test_a_faulty_source_writes_nothing_and_records_a_failed_run(
        pokemon_cards, pokemontcg_api, broken) -> None:
    before = _stored_charizard(pokemon_cards["base1-4"])
    pokemontcg_api.routes[SV3] = broken  # base1 answers fine, sv3 does not
    run = source_scrape_run(source="tcgplayer", **FAST)
    assert run.status == ScrapeRun.Status.FAILED
    assert run.error.startswith("SourceError")
    assert run.written == 0
    after = Price.objects.get(card=pokemon_cards["base1-4"])
    assert (after.pk, after.market_price, after.recorded_at) == (
        before.pk, Decimal("400.00"), before.recorded_at)
    assert Price.objects.count() == 1


def test_the_adapter_reads_a_saved_page(tmp_path, db) -> None:  # noqa: ANN001
    path = tmp_path / "base1.json"
    path.write_bytes(fixture_bytes("pokemontcg", "cards_base1.json"))
    batch = TcgplayerAdapter(file=str(path)).scrape()
    assert len(batch.quotes) == 4 and batch.invalid == 0
