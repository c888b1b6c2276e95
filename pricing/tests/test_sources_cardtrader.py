"""CardTrader adapter: the product parser, the cheapest-per-key quotes, and full scrapes
replaying recorded API v2 payloads (pricing/tests/fixtures/cardtrader/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from catalogue.tests.factories import CardFactory, CardSetFactory, SealedProductFactory, tcg
from csm.http import SourceError
from pricing.models import Price, ScrapeRun, SourceListing
from pricing.services import source_scrape_run
from pricing.sources.cardtrader import (
    CardtraderAdapter,
    Skip,
    blueprint_refs,
    marketplace_parse,
    product_parse,
)

FIXTURES = Path(__file__).parent / "fixtures" / "cardtrader"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SCRYFALL = "b1c2f7c4-3c3c-4b7e-9f1a-3e7c4f0d2a11"


def _load(name: str) -> object:
    return json.loads((FIXTURES / name).read_text())


def _product(**changes: object) -> dict:
    raw = _load("products_1472.json")["106411"][0]
    props = raw["properties_hash"]
    for key, value in changes.items():
        if key in props or key.endswith(("_language", "_foil", "_reverse", "edition")) \
                or key in {"condition", "signed", "altered"}:
            props[key] = value
        else:
            raw[key] = value
    return raw


# --- parser -----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "ours"), [
    ("Mint", "NM"), ("Near Mint", "NM"), ("Slightly Played", "LP"), ("Lightly Played", "LP"),
    ("Moderately Played", "MP"), ("Played", "HP"), ("Heavily Played", "HP"), ("Poor", "DMG"),
    ("Damaged", "DMG"),
])
def test_condition_names_map_to_ours(name: str, ours: str) -> None:
    assert product_parse(_product(condition=name)).condition == ours


def test_unknown_condition_is_an_error_and_a_missing_one_is_near_mint() -> None:
    with pytest.raises(ValueError, match="unknown condition 'Excellent'"):
        product_parse(_product(condition="Excellent"))
    raw = _product()
    del raw["properties_hash"]["condition"]
    assert product_parse(raw).condition == "NM"


def test_product_reads_price_language_seller_and_title() -> None:
    product = product_parse(_product())
    assert product.price == Decimal("319.50")
    assert (product.currency, product.language, product.seller) == ("EUR", "en", "kanto_cards")
    assert product.title == "Charizard (Base Set)"
    assert (product.finish, product.printing, product.variant) == ("nonfoil", "unlimited",
                                                                   "normal")


@pytest.mark.parametrize(("props", "variant", "finish", "printing"), [
    ({"mtg_foil": True}, "foil", "foil", "unlimited"),
    ({"fab_foil": "true", "first_edition": True}, "1st_edition_foil", "foil", "1st_edition"),
    ({"first_edition": True}, "1st_edition_normal", "nonfoil", "1st_edition"),
    ({"pokemon_reverse": True}, "reverse_holofoil", "foil", "unlimited"),
    ({"pokemon_reverse": True, "first_edition": True}, "1st_edition_reverse_holofoil",
     "foil", "1st_edition"),
])
def test_variant_names(props: dict, variant: str, finish: str, printing: str) -> None:
    product = product_parse(_product(**props))
    assert (product.variant, product.finish, product.printing) == (variant, finish, printing)


def test_language_is_read_from_any_game_prefix() -> None:
    raw = _product()
    raw["properties_hash"] = {"condition": "Near Mint", "onepiece_language": "jp"}
    assert product_parse(raw).language == "jp"


@pytest.mark.parametrize("changes", [
    {"graded": True}, {"on_vacation": True}, {"signed": True}, {"altered": True},
    {"bundle_size": 4}, {"quantity": 0},
])
def test_products_that_are_no_raw_single_for_sale_are_skipped(changes: dict) -> None:
    with pytest.raises(Skip):
        product_parse(_product(**changes))


@pytest.mark.parametrize(("changes", "message"), [
    ({"price": {"cents": 0, "currency": "EUR"}}, "not a positive integer"),
    ({"price": {"cents": "12.5", "currency": "EUR"}}, "not a positive integer"),
    ({"price": {"cents": 100, "currency": "DOGE"}}, "unknown currency"),
    ({"price": None}, "price is not an object"),
    ({"properties_hash": ["Near Mint"]}, "properties_hash is not an object"),
])
def test_unreadable_products_raise(changes: dict, message: str) -> None:
    raw = _product()
    raw.update(changes)
    with pytest.raises(ValueError, match=message):
        product_parse(raw)


def test_blueprint_refs_most_specific_first() -> None:
    blueprints = {b["id"]: b for b in _load("blueprints_1472.json") + _load(
        "blueprints_2011.json")}
    assert blueprint_refs(blueprints[106411]) == [
        ("tcgplayer_product_id", 42382), ("cardmarket_product_id", 273699),
        ("sealed_tcgplayer_product_id", 42382), ("sealed_cardmarket_product_id", 273699)]
    assert blueprint_refs(blueprints[229001])[:3] == [
        ("scryfall_id", SCRYFALL), ("tcgplayer_product_id", 262657),
        ("cardmarket_product_id", 601436)]
    assert blueprint_refs(blueprints[106501]) == []


def test_marketplace_parse_quotes_the_cheapest_per_key_and_lists_every_product() -> None:
    refs = {106411: ("tcgplayer_product_id", 42382), 106412: ("cardmarket_product_id", 273700)}
    batch = marketplace_parse(_load("products_1472.json"), refs, matched={106411},
                              observed_at=NOW)
    quotes = {(q.ref[1], q.condition, q.language, q.variant): q for q in batch.quotes}
    nm = quotes[(42382, "NM", "en", "normal")]
    # 319.50, 335.00 (Mint) and 360.00: graded, on-vacation and signed copies are left out.
    assert (nm.market, nm.low, nm.high, nm.observations) == (
        Decimal("319.50"), Decimal("319.50"), Decimal("360.00"), 3)
    assert (nm.currency, nm.grade, nm.recorded_at) == ("EUR", "raw", NOW)
    assert quotes[(42382, "LP", "en", "normal")].market == Decimal("210.00")
    assert quotes[(42382, "HP", "en", "normal")].market == Decimal("195.00")
    assert quotes[(42382, "NM", "jp", "normal")].observations == 1
    assert quotes[(42382, "NM", "en", "1st_edition_normal")].market == Decimal("8990.00")
    assert quotes[(273700, "DMG", "en", "normal")].market == Decimal("12.00")
    assert (273700, "NM", "en", "normal") in quotes  # the 2-card bundle is not
    assert quotes[(273700, "NM", "en", "normal")].observations == 1
    assert len(batch.quotes) == 8  # Chansey and the booster box have no reference here
    assert batch.invalid == 1 and "Excellent" in batch.errors[0]
    # Listings only for the matched blueprint (Charizard): 7 products kept.
    assert {lst.external_id for lst in batch.listings} == {
        "190000001", "190000002", "190000003", "190000006", "190000007", "190000008",
        "190000009"}
    first = next(lst for lst in batch.listings if lst.external_id == "190000009")
    assert (first.printing, first.seller, first.url) == (
        "1st_edition", "vintage_vault", "https://www.cardtrader.com/cards/106411")


@pytest.mark.parametrize("payload", [[], {"106411": {"id": 1}}, {"charizard": []}, "<html>"])
def test_marketplace_garbage_raises_source_error(payload: object) -> None:
    with pytest.raises(SourceError):
        marketplace_parse(payload, {106411: ("card_id", 1)}, matched=set(), observed_at=NOW)


# --- full scrapes -------------------------------------------------------------------------

@pytest.fixture
def cardtrader(recorded_http, settings, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr("csm.http.time.sleep", lambda seconds: None)
    settings.CARDTRADER_API_TOKEN = "eyJhbGciOiJSUzI1NiJ9.test.signature"
    settings.PRICING_CARDTRADER_URL = recorded_http.url
    for name in ("games", "expansions"):
        recorded_http.add_json(f"/{name}", _load(f"{name}.json"))
    for expansion in (1472, 2011):
        recorded_http.add_json(f"/blueprints/export?expansion_id={expansion}",
                               _load(f"blueprints_{expansion}.json"))
        recorded_http.add_json(f"/marketplace/products?expansion_id={expansion}",
                               _load(f"products_{expansion}.json"))
    return recorded_http


@pytest.fixture
def catalogue(db):  # noqa: ANN001, ANN201
    base = CardSetFactory(name="Base Set", code="BS")
    neo = CardSetFactory(tcg=tcg("mtg"), name="Kamigawa: Neon Dynasty", code="NEO")
    return {
        "charizard": CardFactory(card_set=base, name="Charizard", number="4",
                                 tcgplayer_product_id=42382),
        "blastoise": CardFactory(card_set=base, name="Blastoise", number="2",
                                 cardmarket_product_id=273700),
        "emperor": CardFactory(card_set=neo, name="The Wandering Emperor", number="293",
                               scryfall_id=SCRYFALL),
        "box": SealedProductFactory(name="Base Set Booster Box", tcgplayer_product_id=1234),
    }


@pytest.mark.django_db
def test_scrape_writes_prices_and_listings(cardtrader, catalogue,  # noqa: ANN001
                                           django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(5):  # catalogue lookups: one per reference kind
        batch = CardtraderAdapter(expansion_ids=[1472, 2011]).scrape()
    assert {p for p in cardtrader.requests if "expansion_id" in p} == {
        "/blueprints/export?expansion_id=1472", "/marketplace/products?expansion_id=1472",
        "/blueprints/export?expansion_id=2011", "/marketplace/products?expansion_id=2011"}
    assert all(h["Authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.test.signature"
               for h in cardtrader.headers)
    assert batch.errors[0].startswith("cardtrader: 1 blueprints carry no")

    run = source_scrape_run(source="cardtrader", expansion_ids=[1472, 2011])
    assert run.status == ScrapeRun.Status.PARTIAL  # the "Excellent" product is invalid
    # Chansey is not in the catalogue; one blueprint carries no id to match it by
    assert (run.invalid, run.unmatched) == (1, 2)
    charizard = Price.objects.get(card=catalogue["charizard"], condition="NM", language="en",
                                  variant="normal")
    assert (charizard.source, charizard.currency, charizard.grade) == ("cardtrader", "EUR",
                                                                         "raw")
    assert (charizard.market_price, charizard.high_price, charizard.observations) == (
        Decimal("319.50"), Decimal("360.00"), 3)
    emperor = {p.variant: p.market_price for p in Price.objects.filter(
        card=catalogue["emperor"])}
    assert emperor == {"normal": Decimal("18.49"), "foil": Decimal("25.90")}
    assert Price.objects.get(sealed_product=catalogue["box"]).market_price == Decimal(
        "18500.00")
    assert Price.objects.filter(card=catalogue["blastoise"]).count() == 3
    listings = SourceListing.objects.filter(source="cardtrader")
    assert listings.count() == 7 + 3 + 3
    assert set(listings.values_list("card_id", flat=True)) == {
        catalogue["charizard"].pk, catalogue["blastoise"].pk, catalogue["emperor"].pk}
    foil = listings.get(external_id="191000003")
    assert (foil.finish, foil.price, foil.currency) == ("foil", Decimal("25.90"), "EUR")


@pytest.mark.django_db
def test_a_rescrape_replaces_the_listings_of_covered_cards(cardtrader, catalogue) -> None:  # noqa: ANN001
    source_scrape_run(source="cardtrader", expansion_ids=[1472])
    assert SourceListing.objects.filter(card=catalogue["blastoise"]).count() == 3
    products = _load("products_1472.json")
    products["106412"] = []  # Blastoise sold out
    cardtrader.add_json("/marketplace/products?expansion_id=1472", products)
    source_scrape_run(source="cardtrader", expansion_ids=[1472])
    assert not SourceListing.objects.filter(card=catalogue["blastoise"]).exists()
    assert SourceListing.objects.filter(card=catalogue["charizard"]).count() == 7


@pytest.mark.django_db
def test_default_scrape_covers_the_games_in_the_catalogue(cardtrader) -> None:  # noqa: ANN001
    CardFactory(tcgplayer_product_id=42382)  # a Pokémon card only: no Magic expansion
    run = source_scrape_run(source="cardtrader")
    assert run.status in {ScrapeRun.Status.OK, ScrapeRun.Status.PARTIAL}
    assert "/marketplace/products?expansion_id=1472" in cardtrader.requests
    assert not any("expansion_id=2011" in p or "expansion_id=3301" in p
                   for p in cardtrader.requests)


@pytest.mark.django_db
def test_server_error_leaves_prices_untouched(cardtrader, catalogue) -> None:  # noqa: ANN001
    source_scrape_run(source="cardtrader", expansion_ids=[1472])
    before = dict(Price.objects.values_list("id", "market_price"))
    listings = SourceListing.objects.count()
    cardtrader.routes["/marketplace/products?expansion_id=2011"] = (503, "down", "text/plain")
    products = _load("products_1472.json")
    products["106411"][0]["price"]["cents"] = 100
    cardtrader.add_json("/marketplace/products?expansion_id=1472", products)
    run = source_scrape_run(source="cardtrader", expansion_ids=[1472, 2011])
    assert run.status == ScrapeRun.Status.FAILED
    assert "HTTP 503" in run.error
    assert dict(Price.objects.values_list("id", "market_price")) == before
    assert SourceListing.objects.count() == listings


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "body"), [
    ("/marketplace/products?expansion_id=1472", "<html>maintenance</html>"),
    ("/marketplace/products?expansion_id=1472", '[{"id": 1}]'),
    ("/blueprints/export?expansion_id=1472", '{"error": "oops"}'),
])
def test_garbage_fails_the_run(cardtrader, catalogue, path: str, body: str) -> None:  # noqa: ANN001
    cardtrader.routes[path] = (200, body, "application/json")
    run = source_scrape_run(source="cardtrader", expansion_ids=[1472])
    assert run.status == ScrapeRun.Status.FAILED
    assert not Price.objects.exists() and not SourceListing.objects.exists()


@pytest.mark.django_db
def test_without_a_token_the_source_is_not_configured(settings) -> None:  # noqa: ANN001
    settings.CARDTRADER_API_TOKEN = ""
    assert CardtraderAdapter.is_configured() is False
    with pytest.raises(SourceError, match="cardtrader is not configured: set "
                                          "CARDTRADER_API_TOKEN"):
        CardtraderAdapter().scrape()
    run = source_scrape_run(source="cardtrader")
    assert run.status == ScrapeRun.Status.FAILED and "not configured" in run.error
    settings.CARDTRADER_API_TOKEN = "x"
    assert CardtraderAdapter.is_configured() is True
