"""PriceCharting adapter: grade columns, the product matcher, and full scrapes replaying a
recorded price guide CSV and API answers (pricing/tests/fixtures/pricecharting/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from catalogue.tests.factories import CardFactory, CardSetFactory
from csm.http import SourceError
from pricing.models import Price, ScrapeRun
from pricing.services import source_scrape_run
from pricing.sources.pricecharting import (
    CardMatcher,
    PricechartingAdapter,
    console_parse,
    csv_rows,
    price_read,
    product_name_parse,
    product_prices,
    quotes_from_rows,
)

FIXTURES = Path(__file__).parent / "fixtures" / "pricecharting"
TOKEN = "c0b53bce27c1bdab90b1605249e600dc43dfd1d5"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
GUIDE = f"/price-guide/download-custom?t={TOKEN}&category=pokemon-cards"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text()


# --- parser -----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "parsed"), [
    ("Charizard #4", ("charizard", "4", "normal")),
    ("Charizard [1st Edition] #4", ("charizard", "4", "1st_edition")),
    ("Pikachu [Reverse Holo] #025", ("pikachu", "25", "reverse_holo")),
    ("Charizard ex #199", ("charizard ex", "199", "normal")),
    ("Professor's Research #TG05", ("professors research", "tg05", "normal")),
    ("Mew #SWSH001", ("mew", "swsh001", "normal")),
    ("Pikachu Birthday Promo", ("pikachu birthday promo", None, "normal")),
])
def test_product_name_parse(name: str, parsed: tuple) -> None:
    result = product_name_parse(name)
    assert (result.name, result.number, result.variant) == parsed


@pytest.mark.parametrize(("console", "parsed"), [
    ("Pokemon Base Set", ("base set", "en")),
    ("Pokemon Scarlet & Violet 151", ("scarlet and violet 151", "en")),
    ("Pokemon Japanese Base Expansion Pack", ("base expansion pack", "jp")),
    ("Base Set", ("base set", "en")),
])
def test_console_parse(console: str, parsed: tuple) -> None:
    assert console_parse(console, "Pokemon") == parsed


def test_price_cells() -> None:
    assert price_read("$1,312.50", pennies=False) == Decimal("1312.50")
    assert price_read("$296.62", pennies=False) == Decimal("296.62")
    assert price_read("", pennies=False) is None
    assert price_read("$0.00", pennies=False) is None
    assert price_read(29662, pennies=True) == Decimal("296.62")
    assert price_read("2964313", pennies=True) == Decimal("29643.13")
    assert price_read(0, pennies=True) is None
    with pytest.raises(ValueError, match="not a dollar amount"):
        price_read("$7O.00", pennies=False)
    with pytest.raises(ValueError, match="not a number of pennies"):
        price_read("296.62", pennies=True)


def test_grade_columns_map_to_segments() -> None:
    row = json.loads(_text("product-630417.json"))
    assert product_prices(row, pennies=True) == [
        ("raw", Decimal("296.62")), ("graded_7", Decimal("721.47")),
        ("graded_8", Decimal("1312.50")), ("graded_9", Decimal("2522.80")),
        ("graded_9_5", Decimal("4680.18")), ("psa_10", Decimal("29643.13")),
        ("bgs_10", Decimal("38536.00")), ("cgc_10", Decimal("7181.73")),
        ("sgc_10", Decimal("17786.00"))]


@pytest.mark.parametrize("text", ["<html><body>Invalid token</body></html>", "id,name\n1,x\n",
                                  ""])
def test_a_guide_that_is_not_the_csv_is_garbage(text: str) -> None:
    with pytest.raises(SourceError, match="not the expected CSV"):
        csv_rows(text)


@pytest.fixture
def catalogue(db):  # noqa: ANN001, ANN201
    base = CardSetFactory(name="Base Set", series="Base")
    sv151 = CardSetFactory(name="151", series="Scarlet & Violet")
    return {
        "charizard": CardFactory(card_set=base, name="Charizard", number="4",
                                 tcgplayer_product_id=42382),
        "blastoise": CardFactory(card_set=base, name="Blastoise", number="2"),
        "pikachu_red": CardFactory(card_set=base, name="Pikachu", number="58",
                                   variant_key="red-cheeks"),
        "pikachu": CardFactory(card_set=base, name="Pikachu", number="58"),
        "venusaur": CardFactory(card_set=base, name="Venusaur", number="15"),
        "charizard_ex": CardFactory(card_set=sv151, name="Charizard ex", number="199"),
        "base2_charizard": CardFactory(card_set=CardSetFactory(name="Base Set 2"),
                                       name="Charizard", number="4"),
    }


def test_matcher_matches_by_tcg_id_or_set_name_and_number(
        catalogue, django_assert_max_num_queries) -> None:  # noqa: ANN001
    rows = csv_rows(_text("price-guide-pokemon-cards.csv"))
    with django_assert_max_num_queries(3):
        matcher = CardMatcher.build("pokemon", "Pokemon", rows)
    by_name = {r["product-name"] + "|" + r["console-name"]: matcher.match(r) for r in rows}
    assert by_name["Charizard #4|Pokemon Base Set"] == (("tcgplayer_product_id", 42382),
                                                        catalogue["charizard"].pk)
    assert by_name["Charizard [1st Edition] #4|Pokemon Base Set"] == (
        ("card_id", catalogue["charizard"].pk), catalogue["charizard"].pk)
    assert by_name["Blastoise #2|Pokemon Base Set"][1] == catalogue["blastoise"].pk
    assert by_name["Charizard ex #199|Pokemon Scarlet & Violet 151"][1] == \
        catalogue["charizard_ex"].pk
    assert by_name["Pikachu #58|Pokemon Base Set"] == "ambiguous"
    assert by_name["Mewtwo #10|Pokemon Base Set"] == "no such card"
    assert by_name["Snorlax #11|Pokemon Jungle"] == "no such set"
    assert by_name["Charizard #6|Pokemon Japanese Base Expansion Pack"] == "no such set"
    assert by_name["Pikachu Birthday Promo|Pokemon Promo"] == "no card number"


def test_quotes_per_grade_segment(catalogue) -> None:  # noqa: ANN001
    rows = csv_rows(_text("price-guide-pokemon-cards.csv"))
    matcher = CardMatcher.build("pokemon", "Pokemon", rows)
    batch, unmatched, priced = quotes_from_rows(rows, matcher, pennies=False,
                                                recorded_at=NOW)
    assert unmatched == {"ambiguous": 1, "no card number": 1, "no such card": 1,
                         "no such set": 2}
    assert priced == {catalogue["charizard"].pk, catalogue["blastoise"].pk,
                      catalogue["charizard_ex"].pk}
    assert batch.invalid == 1 and "Venusaur" not in batch.errors[0]  # id, not name
    assert "630515" in batch.errors[0]
    charizard = [q for q in batch.quotes if q.ref == ("tcgplayer_product_id", 42382)]
    assert len(charizard) == 9
    assert {q.grade for q in charizard} == {"raw", "graded_7", "graded_8", "graded_9",
                                            "graded_9_5", "psa_10", "bgs_10", "cgc_10",
                                            "sgc_10"}
    assert all((q.currency, q.observations, q.condition, q.language, q.recorded_at)
               == ("USD", 0, "NM", "en", NOW) for q in batch.quotes)
    first = {q.grade: q.market for q in batch.quotes if q.variant == "1st_edition"}
    assert first == {"raw": Decimal("9999.99"), "graded_9": Decimal("19999.99"),
                     "psa_10": Decimal("425000.00")}


# --- full scrapes -------------------------------------------------------------------------

@pytest.fixture
def pricecharting(recorded_http, settings, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr("csm.http.time.sleep", lambda seconds: None)
    settings.PRICECHARTING_API_TOKEN = TOKEN
    settings.PRICING_PRICECHARTING_URL = recorded_http.url
    recorded_http.routes[GUIDE] = (200, _text("price-guide-pokemon-cards.csv"), "text/csv")
    return recorded_http


@pytest.mark.django_db
def test_guide_scrape_writes_raw_and_graded_prices(pricecharting, catalogue) -> None:  # noqa: ANN001
    run = source_scrape_run(source="pricecharting")
    assert pricecharting.requests == [GUIDE]
    assert run.status == ScrapeRun.Status.PARTIAL  # one unreadable price
    assert (run.invalid, run.written) == (1, 9 + 3 + 3 + 3)
    assert run.error.startswith("pricecharting pokemon-cards: 5 products not matched")
    prices = {(p.variant, p.grade): p.market_price for p in Price.objects.filter(
        card=catalogue["charizard"])}
    assert prices[("normal", "raw")] == Decimal("296.62")
    assert prices[("normal", "psa_10")] == Decimal("29643.13")
    assert prices[("normal", "graded_9_5")] == Decimal("4680.18")
    assert prices[("1st_edition", "psa_10")] == Decimal("425000.00")
    assert set(Price.objects.values_list("source", "currency")) == {("pricecharting", "USD")}
    assert not Price.objects.filter(card__in=[catalogue["pikachu"], catalogue["pikachu_red"],
                                              catalogue["venusaur"]]).exists()


@pytest.mark.django_db
def test_product_api_scrape(pricecharting, catalogue) -> None:  # noqa: ANN001
    pricecharting.routes[f"/api/product?t={TOKEN}&id=630417"] = (
        200, _text("product-630417.json"), "application/json")
    pricecharting.routes[f"/api/product?t={TOKEN}&id=1"] = (
        200, _text("product-error.json"), "application/json")
    run = source_scrape_run(source="pricecharting", product_ids=[630417, 1])
    assert run.status == ScrapeRun.Status.PARTIAL
    assert "No product matches id=1" in run.error
    psa = Price.objects.get(card=catalogue["charizard"], grade="psa_10")
    assert psa.market_price == Decimal("29643.13")
    assert Price.objects.filter(card=catalogue["charizard"]).count() == 9


@pytest.mark.django_db
def test_card_search_keeps_the_searched_card_only(pricecharting, catalogue) -> None:  # noqa: ANN001
    pricecharting.routes["/api/products"] = (
        200, _text("products-search-charizard.json"), "application/json")
    run = source_scrape_run(source="pricecharting", card_ids=[catalogue["charizard"].pk])
    assert pricecharting.requests == [
        f"/api/products?t={TOKEN}&q=Base+Set+Charizard+%234"]
    assert run.status == ScrapeRun.Status.OK
    assert set(Price.objects.values_list("card_id", flat=True)) == {catalogue["charizard"].pk}
    assert set(Price.objects.values_list("variant", flat=True)) == {"normal", "1st_edition"}
    assert Price.objects.get(variant="1st_edition", grade="raw").market_price == Decimal(
        "9999.99")


@pytest.mark.django_db
def test_server_error_leaves_prices_untouched_and_hides_the_token(
        pricecharting, catalogue) -> None:  # noqa: ANN001
    source_scrape_run(source="pricecharting")
    before = dict(Price.objects.values_list("id", "market_price"))
    pricecharting.routes[GUIDE] = (502, "Bad Gateway", "text/html")
    run = source_scrape_run(source="pricecharting")
    assert run.status == ScrapeRun.Status.FAILED
    assert "HTTP 502" in run.error and TOKEN not in run.error and "<token>" in run.error
    assert dict(Price.objects.values_list("id", "market_price")) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "body"), [
    (GUIDE, "<html><title>Sign in</title></html>"),
    ("/api/product", '{"products": []}'),
    ("/api/product", "[]"),
])
def test_garbage_fails_the_run(pricecharting, catalogue, route: str, body: str) -> None:  # noqa: ANN001
    pricecharting.routes[route] = (200, body, "application/json")
    options = {"product_ids": [630417]} if route == "/api/product" else {}
    run = source_scrape_run(source="pricecharting", **options)
    assert run.status == ScrapeRun.Status.FAILED
    assert not Price.objects.exists()


@pytest.mark.django_db
def test_unknown_category_fails_the_run(pricecharting) -> None:  # noqa: ANN001
    run = source_scrape_run(source="pricecharting", categories=["stamps"])
    assert run.status == ScrapeRun.Status.FAILED and "stamps" in run.error


def test_without_a_token_the_source_is_not_configured(settings) -> None:  # noqa: ANN001
    settings.PRICECHARTING_API_TOKEN = ""
    assert PricechartingAdapter.is_configured() is False
    with pytest.raises(SourceError, match="pricecharting is not configured: set "
                                          "PRICECHARTING_API_TOKEN"):
        PricechartingAdapter().scrape()
