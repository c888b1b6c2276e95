"""eBay adapter: title filter and grade classification, quotes per grade segment, and full
scrapes replaying recorded Browse / Marketplace Insights answers
(pricing/tests/fixtures/ebay/)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests

from catalogue.tests.factories import CardFactory, CardSetFactory
from csm.http import SourceError
from pricing.models import Price, ScrapeRun, SourceListing
from pricing.services import source_scrape_run
from pricing.sources.ebay import (
    BROWSE_PATH,
    INSIGHTS_PATH,
    CardQuery,
    EbayAdapter,
    Item,
    Rejected,
    card_quotes,
    item_parse,
    raw_condition,
    search_parse,
    title_grade,
    title_language,
    title_rejection,
    title_variant,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ebay"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHARIZARD = CardQuery(card_id=1, name="Charizard", number="4", set_name="Base Set",
                      printed_total=102)


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


# --- titles -------------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "grade"), [
    ("1999 Pokemon Base Set Charizard Holo 4/102 PSA 10 GEM MINT", "psa_10"),
    ("Charizard 4/102 PSA10", "psa_10"),
    ("Charizard 4/102 PSA GEM MT 10", "psa_10"),
    ("Charizard 4/102 Base Set PSA 9 MINT", "psa_9"),
    ("Charizard Base Set BGS 9.5 Gem Mint", "bgs_9_5"),
    ("Charizard Beckett 9.5", "bgs_9_5"),
    ("Charizard BGS 10 Black Label", "bgs_10_black"),
    ("Charizard BGS 10 Pristine", "bgs_10"),
    ("Charizard CGC 10 Gem Mint", "cgc_10"),
    ("Charizard CGC Pristine 10", "cgc_10_pristine"),
    ("Charizard CGC 9.5", "cgc_9_5"),
    ("Charizard SGC 10", "sgc_10"),
    ("Charizard TAG 10", "tag_10"),
    ("Charizard 4/102 Base Set PSA 10 PSA 10", "psa_10"),
    ("Charizard 4/102 Base Set Holo Near Mint", "raw"),
    ("Pikachu & Zekrom GX Tag Team 33/181", "raw"),
    ("Lance's Charizard ACE SPEC", "raw"),
])
def test_title_grade(title: str, grade: str) -> None:
    assert title_grade(title) == grade


@pytest.mark.parametrize(("title", "reason"), [
    ("Charizard PSA 9 or BGS 9.5", "several grades"),
    ("Charizard 4/102 PSA 10 ready!", "only hoped for"),
    ("Charizard 4/102 PSA 10 candidate", "only hoped for"),
    ("Charizard 4/102 PSA 10?", "only hoped for"),
    ("Charizard 4/102 Graded Slab", "no grade"),
    ("Charizard 4/102 PSA slab", "no grade"),
])
def test_unclear_grades_are_rejected(title: str, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        title_grade(title)


@pytest.mark.parametrize(("title", "reason"), [
    ("Pokemon Base Set Charizard Lot of 5 Holo Rares", "not a single genuine card"),
    ("Charizard 4/102 Base Set x3", "not a single genuine card"),
    ("Charizard 4/102 Base Set 2x", "not a single genuine card"),
    ("Charizard 4/102 Base Set Bundle", "not a single genuine card"),
    ("Charizard 4/102 Base Set PROXY", "not a single genuine card"),
    ("Custom Charizard Base Set Full Art", "not a single genuine card"),
    ("Charizard Orica Holo", "not a single genuine card"),
    ("Charizard Base Set Digital Card", "not a single genuine card"),
    ("Pokemon TCG Live Code Card Charizard", "not a single genuine card"),
    ("Charizard Gold Metal Card 24K", "not a single genuine card"),
    ("Base Set Booster Pack Charizard Art", "not a single genuine card"),
    ("Charizard Jumbo Oversized Promo", "not a single genuine card"),
    ("Empty PSA Slab Charizard", "not a single genuine card"),
    ("Blastoise 2/102 Base Set Holo Rare", "another card (name missing)"),
    ("Charizard 11/108 Evolutions Holo", "another card (number)"),
    ("Charizard #4 Celebrations", None),
    ("Charizard #11 Evolutions", "another card (number)"),
    ("Charizard 4/130 Base Set 2 Holo Rare", "another card (set total)"),
    ("Charizard 004/102 Base Set", None),
    ("Charizard Base Set Holo 1999 WOTC", None),
])
def test_title_filter(title: str, reason: str | None) -> None:
    found = title_rejection(title, name="Charizard", number="4", printed_total=102)
    assert (found is None) if reason is None else found.startswith(reason)


def test_card_names_with_filter_words_are_kept() -> None:
    assert title_rejection("Metal Energy 95/102 Base Set", name="Metal Energy", number="95",
                           printed_total=102) is None


@pytest.mark.parametrize(("title", "expected"), [
    ("Charizard 4/102 Base Set", ("normal", "nonfoil", "unlimited")),
    ("1st Edition Charizard 4/102 Base Set Shadowless", ("1st_edition_normal", "nonfoil",
                                                         "1st_edition")),
    ("Charizard 4/102 Shadowless", ("shadowless_normal", "nonfoil", "unlimited")),
    ("Pikachu 58/102 Reverse Holo", ("reverse_holofoil", "foil", "unlimited")),
    ("The Wandering Emperor 293 Foil", ("foil", "foil", "unlimited")),
    ("The Wandering Emperor 293 Non-Foil", ("normal", "nonfoil", "unlimited")),
])
def test_title_variant(title: str, expected: tuple) -> None:
    assert title_variant(title) == expected


def test_title_language_and_raw_condition() -> None:
    assert title_language("Japanese Charizard No. 006") == "jp"
    assert title_language("Glurak Base Set German Deutsch") == "de"
    assert title_language("Charizard 4/102") == "en"
    assert raw_condition("Near mint or better") == "NM"
    assert raw_condition("Lightly played (Excellent)") == "LP"
    assert raw_condition("Moderately played (Very good)") == "MP"
    assert raw_condition("Heavily played (Poor)") == "HP"
    assert raw_condition("Ungraded") == "NM"


def test_item_parse_reads_a_browse_summary() -> None:
    raw = _load("browse-charizard.json")["itemSummaries"][0]
    item = item_parse(raw, CHARIZARD, kind="listing")
    assert (item.grade, item.price, item.currency, item.condition) == (
        "psa_10", Decimal("42000.00"), "USD", "NM")
    assert (item.seller, item.external_id) == ("vintage_slabs", raw["itemId"])
    assert item.url == f"https://www.ebay.com/itm/{raw['legacyItemId']}"


def test_item_parse_reads_a_sale_and_rejects_contradictions() -> None:
    sale = _load("sales-charizard.json")["itemSales"][0]
    item = item_parse(sale, CHARIZARD, kind="sold")
    assert (item.kind, item.grade, item.price) == ("sold", "psa_10", Decimal("36500.00"))
    assert item.external_id.startswith("sold:v1|")
    assert item.observed_at == datetime(2026, 10, 3, 21, 14, 51, tzinfo=UTC)
    ungraded_psa = {**sale, "condition": "Ungraded", "conditionId": "4000"}
    with pytest.raises(Rejected, match="disagree"):
        item_parse(ungraded_psa, CHARIZARD, kind="sold")
    with pytest.raises(ValueError, match="not a positive amount"):
        item_parse({**sale, "lastSoldPrice": {"value": "0.00", "currency": "USD"}}, CHARIZARD,
                   kind="sold")


def test_search_parse_keeps_one_copy_of_this_card_per_item() -> None:
    items, rejected, errors = search_parse(_load("browse-charizard.json"), CHARIZARD,
                                           kind="listing")
    assert sorted((i.grade, i.variant, i.condition, i.language) for i in items) == sorted([
        ("psa_10", "normal", "NM", "en"), ("psa_10", "normal", "NM", "en"),
        ("bgs_9_5", "normal", "NM", "en"),
        ("raw", "normal", "NM", "en"), ("raw", "normal", "NM", "en"),
        ("raw", "normal", "NM", "en"), ("raw", "normal", "LP", "en"),
        ("psa_8", "1st_edition_normal", "NM", "en"), ("raw", "normal", "NM", "jp")])
    assert rejected == {"not a single genuine card": 3, "another card": 2,
                        "a grade that is only hoped for": 1, "several grades": 1,
                        "graded, but no grade": 1, "title and eBay condition disagree on "
                                                   "graded": 1}
    assert len(errors) == 1 and "'abc'" in errors[0]


@pytest.mark.parametrize("payload", [[], {"itemSummaries": {"a": 1}}, "x"])
def test_search_garbage_raises(payload: object) -> None:
    with pytest.raises(SourceError):
        search_parse(payload, CHARIZARD, kind="listing")


def _item(kind: str, price: str, grade: str = "psa_10") -> Item:
    return Item(external_id=f"{kind}{price}", kind=kind, title="t", price=Decimal(price),
                currency="USD", grade=grade, variant="normal", finish="nonfoil",
                printing="unlimited", condition="NM", language="en", seller="", url="",
                observed_at=None)


def test_quotes_use_sold_prices_from_three_sales_on() -> None:
    items = [_item("sold", "100"), _item("sold", "120"), _item("sold", "90"),
             _item("listing", "200"), _item("listing", "180"),
             _item("sold", "40", "raw"), _item("sold", "45", "raw"),
             _item("listing", "60", "raw"), _item("listing", "50", "raw"),
             _item("sold", "500", "bgs_10")]
    quotes = {q.grade: q for q in card_quotes(7, items, recorded_at=NOW)}
    psa = quotes["psa_10"]
    assert (psa.market, psa.low, psa.high, psa.observations) == (
        Decimal("100.00"), Decimal("90"), Decimal("120"), 3)
    raw = quotes["raw"]  # two sales are too few: the asking prices make the figure
    assert (raw.market, raw.low, raw.high, raw.observations) == (
        Decimal("55.00"), Decimal("50"), Decimal("60"), 2)
    assert "bgs_10" not in quotes  # one sale and no listing: no figure
    assert psa.ref == ("card_id", 7) and psa.recorded_at == NOW


# --- full scrapes -------------------------------------------------------------------------

def _path(path: str, params: dict) -> str:
    return requests.Request("GET", f"http://x{path}", params=params).prepare().path_url


def _browse(card: CardQuery | str) -> str:
    q = card if isinstance(card, str) else card.q
    return _path(BROWSE_PATH, {"q": q, "category_ids": "183454", "limit": 100,
                               "filter": "buyingOptions:{FIXED_PRICE}"})


def _sales(q: str) -> str:
    return _path(INSIGHTS_PATH, {"q": q, "category_ids": "183454", "limit": 100})


@pytest.fixture
def ebay(recorded_http, settings, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr("csm.http.time.sleep", lambda seconds: None)
    settings.EBAY_APP_ID = "CollectorsS-csm-PRD-1a2b3c4d5-6e7f8a9b"
    settings.EBAY_CERT_ID = "PRD-a1b2c3d4e5f6-7a8b-9c0d-1e2f-3a4b"
    settings.EBAY_MARKETPLACE_INSIGHTS = False
    settings.PRICING_EBAY_URL = recorded_http.url
    settings.PRICING_EBAY_TCGS = ["pokemon"]
    settings.PRICING_EBAY_TOP_N = 2
    recorded_http.add_json("/identity/v1/oauth2/token", _load("token.json"))
    recorded_http.add_json(_browse("Charizard 4 Base Set"), _load("browse-charizard.json"))
    recorded_http.add_json(_browse("Blastoise 2 Base Set"), _load("browse-blastoise.json"))
    recorded_http.add_json(_browse("Pikachu 58 Base Set"), _load("browse-empty.json"))
    recorded_http.add_json(_sales("Charizard 4 Base Set"), _load("sales-charizard.json"))
    recorded_http.add_json(_sales("Blastoise 2 Base Set"), {"total": 0})
    return recorded_http


@pytest.fixture
def cards(db):  # noqa: ANN001, ANN201
    base = CardSetFactory(name="Base Set", printed_total=102, total_cards=102)
    return {
        "charizard": CardFactory(card_set=base, name="Charizard", number="4",
                                 best_price=Decimal("420.00")),
        "blastoise": CardFactory(card_set=base, name="Blastoise", number="2",
                                 best_price=Decimal("125.00")),
        "pikachu": CardFactory(card_set=base, name="Pikachu", number="58",
                               best_price=Decimal("5.00")),
        "unpriced": CardFactory(card_set=base, name="Chansey", number="3"),
    }


@pytest.mark.django_db
def test_scrape_of_the_most_valuable_cards(ebay, cards, django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(1):  # the top cards of the one configured game
        batch = EbayAdapter().scrape()
    token_path, body = ebay.posts[0]
    assert token_path == "/identity/v1/oauth2/token"
    assert parse_qs(body.decode()) == {"grant_type": ["client_credentials"],
                                       "scope": ["https://api.ebay.com/oauth/api_scope"]}
    basic = base64.b64encode(b"CollectorsS-csm-PRD-1a2b3c4d5-6e7f8a9b:"
                             b"PRD-a1b2c3d4e5f6-7a8b-9c0d-1e2f-3a4b").decode()
    assert ebay.headers[0]["Authorization"] == f"Basic {basic}"
    searches = ebay.requests[1:]
    assert searches == [_browse("Charizard 4 Base Set"), _browse("Blastoise 2 Base Set")]
    assert all(h["Authorization"].startswith("Bearer v^1.1#") and
               h["X-EBAY-C-MARKETPLACE-ID"] == "EBAY_US" for h in ebay.headers[1:])
    assert batch.covered_refs == {("card_id", cards["charizard"].pk),
                                  ("card_id", cards["blastoise"].pk)}

    run = source_scrape_run(source="ebay")
    assert run.status == ScrapeRun.Status.PARTIAL  # the item priced "abc"
    assert run.error.startswith("ebay: 11 items dropped")
    charizard = {(p.grade, p.variant, p.condition, p.language): p
                 for p in Price.objects.filter(card=cards["charizard"])}
    psa = charizard[("psa_10", "normal", "NM", "en")]
    assert (psa.market_price, psa.low_price, psa.high_price, psa.observations) == (
        Decimal("40750.00"), Decimal("39500.00"), Decimal("42000.00"), 2)
    raw = charizard[("raw", "normal", "NM", "en")]
    assert (raw.market_price, raw.observations, raw.currency, raw.source) == (
        Decimal("410.00"), 3, "USD", "ebay")
    assert charizard[("raw", "normal", "LP", "en")].market_price == Decimal("260.00")
    assert charizard[("psa_8", "1st_edition_normal", "NM", "en")].observations == 1
    assert charizard[("raw", "normal", "NM", "jp")].market_price == Decimal("145.00")
    assert set(charizard) == {("psa_10", "normal", "NM", "en"),
                              ("bgs_9_5", "normal", "NM", "en"),
                              ("raw", "normal", "NM", "en"), ("raw", "normal", "LP", "en"),
                              ("psa_8", "1st_edition_normal", "NM", "en"),
                              ("raw", "normal", "NM", "jp")}
    blastoise = {p.grade: p.market_price for p in Price.objects.filter(card=cards["blastoise"])}
    assert blastoise == {"raw": Decimal("127.75"), "cgc_10_pristine": Decimal("9900.00")}
    listings = SourceListing.objects.filter(source="ebay")
    assert listings.filter(card=cards["charizard"]).count() == 9
    assert listings.filter(card=cards["blastoise"]).count() == 3
    slab = listings.get(title="Blastoise 2/102 Base Set CGC Pristine 10")
    assert (slab.grade, slab.kind, slab.seller) == ("cgc_10_pristine", "listing", "cgc_slabs")


@pytest.mark.django_db
def test_sold_items_make_the_market_when_insights_is_granted(ebay, cards, settings) -> None:  # noqa: ANN001
    settings.EBAY_MARKETPLACE_INSIGHTS = True
    run = source_scrape_run(source="ebay", card_ids=[cards["charizard"].pk])
    assert parse_qs(ebay.posts[0][1].decode())["scope"] == [
        "https://api.ebay.com/oauth/api_scope "
        "https://api.ebay.com/oauth/api_scope/buy.marketplace.insights"]
    assert _sales("Charizard 4 Base Set") in ebay.requests
    assert run.status == ScrapeRun.Status.PARTIAL
    prices = {p.grade: p for p in Price.objects.filter(card=cards["charizard"], variant="normal",
                                                         condition="NM", language="en")}
    assert (prices["psa_10"].market_price, prices["psa_10"].observations) == (
        Decimal("38000.00"), 3)  # three sales: the sold median
    assert (prices["bgs_9_5"].market_price, prices["bgs_9_5"].observations) == (
        Decimal("9800.00"), 1)  # one sale: the asking price
    sold = SourceListing.objects.filter(source="ebay", kind="sold")
    assert sold.count() == 5  # the "lot x3" sale is dropped
    assert sold.get(price=Decimal("36500.00")).observed_at == datetime(
        2026, 10, 3, 21, 14, 51, tzinfo=UTC)


@pytest.mark.django_db
def test_search_failure_leaves_prices_untouched(ebay, cards) -> None:  # noqa: ANN001
    source_scrape_run(source="ebay")
    before = dict(Price.objects.values_list("id", "market_price"))
    listings = SourceListing.objects.count()
    ebay.routes[_browse("Blastoise 2 Base Set")] = (500, '{"errors": []}', "application/json")
    run = source_scrape_run(source="ebay")
    assert run.status == ScrapeRun.Status.FAILED and "HTTP 500" in run.error
    assert dict(Price.objects.values_list("id", "market_price")) == before
    assert SourceListing.objects.count() == listings


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "answer"), [
    ("/identity/v1/oauth2/token", (401, '{"error": "invalid_client"}', "application/json")),
    ("/identity/v1/oauth2/token", (200, '{"token_type": "x"}', "application/json")),
    (_browse("Charizard 4 Base Set"), (200, "<html>Access denied</html>", "text/html")),
    (_browse("Charizard 4 Base Set"), (200, '{"itemSummaries": "none"}', "application/json")),
])
def test_auth_failure_or_garbage_fails_the_run(ebay, cards, route: str, answer: tuple) -> None:  # noqa: ANN001
    ebay.routes[route] = answer
    run = source_scrape_run(source="ebay")
    assert run.status == ScrapeRun.Status.FAILED
    assert not Price.objects.exists() and not SourceListing.objects.exists()


def test_without_credentials_the_source_is_not_configured(settings) -> None:  # noqa: ANN001
    settings.EBAY_APP_ID, settings.EBAY_CERT_ID = "app", ""
    assert EbayAdapter.is_configured() is False
    with pytest.raises(SourceError, match="ebay is not configured: set EBAY_APP_ID and "
                                          "EBAY_CERT_ID"):
        EbayAdapter().scrape()
