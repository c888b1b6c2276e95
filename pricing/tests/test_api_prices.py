"""/api/cards/{id}/prices, /{tcg}/cards/{id}/prices and /{tcg}/cards/{id}/prices/{price_id}."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalogue.models import Card
from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from catalogue.tests.test_api_tcgs_sets import assert_json_404
from pricing.models import Price
from pricing.summaries import price_summaries_refresh
from pricing.tests.book import history, put

pytestmark = pytest.mark.django_db

SOURCES = ("tcgplayer", "cardmarket", "scryfall", "cardtrader", "pricecharting", "ebay",
           "ygoprodeck")


@pytest.fixture
def charizard() -> Card:
    """A card priced by four sources: raw NM rows, a played copy and a graded one."""
    card = CardFactory(name="Charizard", variants=["holofoil", "1st_edition_holofoil"])
    put(card, "ebay", "2400.00", grade="psa_10", observations=3)
    put(card, "cardtrader", "300.00", condition="LP", currency="EUR", observations=2)
    history(card, "cardmarket", {2: "700.00", 1: "737.33"}, currency="EUR",
            low=None)
    history(card, "tcgplayer", {3: "880.00", 0: "894.61"}, variant="1st_edition_holofoil",
            observations=12)
    put(card, "tcgplayer", "380.00", variant="holofoil")
    price_summaries_refresh(card_ids={card.pk}, sealed_ids=set())
    return card


# --- /api/cards/{id}/prices -------------------------------------------------------------------


def test_card_prices_lists_every_row_raw_nm_first(api_client: APIClient, charizard: Card,
                                                  django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(2):
        response = api_client.get(f"/api/cards/{charizard.pk}/prices")

    assert response.status_code == 200
    body = response.json()
    assert body["card_id"] == charizard.pk
    rows = [(s["source"], s["variant"], s["condition"], s["grade"]) for s in body["sources"]]
    assert rows == [
        ("tcgplayer", "1st_edition_holofoil", "NM", "raw"),  # the reference series first
        ("tcgplayer", "holofoil", "NM", "raw"),
        ("cardmarket", "normal", "NM", "raw"),
        ("cardtrader", "normal", "LP", "raw"),
        ("ebay", "normal", "NM", "psa_10"),
    ]
    first = body["sources"][0]
    assert set(first) == {"source", "market_price", "low_price", "high_price", "currency",
                          "variant", "recorded_at", "condition", "language", "grade",
                          "observations"}
    assert (first["market_price"], first["currency"], first["observations"]) == (
        894.61, "USD", 12)
    assert first["recorded_at"].endswith("Z")
    assert body["sources"][2]["market_price"] == 737.33
    assert body["sources"][2]["currency"] == "EUR"
    assert body["sources"][2]["low_price"] is None


def test_card_prices_of_an_unpriced_card_is_an_empty_list(api_client: APIClient) -> None:
    card = CardFactory()
    assert api_client.get(f"/api/cards/{card.pk}/prices/").json() == {
        "card_id": card.pk, "sources": []}


def test_card_prices_of_an_unknown_card_is_404(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert_json_404(api_client.get("/api/cards/999999/prices"), "Card not found")
    assert_json_404(api_client.get("/api/cards/99999999999999999999/prices"), "Not found")


# --- /{tcg}/cards/{id}/prices -----------------------------------------------------------------


def test_price_records_are_paged_in_book_order(api_client: APIClient, charizard: Card,
                                               django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(3):
        body = api_client.get(f"/pokemon/cards/{charizard.pk}/prices", {"limit": 2}).json()

    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 0)
    record = body["items"][0]
    reference = Price.objects.get(card=charizard, is_primary=True)
    assert record == {
        "id": reference.pk, "card_id": charizard.pk, "source": "tcgplayer",
        "variant": "1st_edition_holofoil", "condition": "NM", "language": "en", "grade": "raw",
        "currency": "USD", "market_price": 894.61, "low_price": None, "mid_price": None,
        "high_price": None, "observations": 12, "recorded_at": record["recorded_at"],
        "is_reference": True, "is_synthetic": False}
    assert body["items"][1]["variant"] == "holofoil"
    rest = api_client.get(f"/pokemon/cards/{charizard.pk}/prices/",
                          {"limit": 2, "offset": 4}).json()
    assert [r["source"] for r in rest["items"]] == ["ebay"]


def test_price_records_filter_by_source_and_variant(api_client: APIClient,
                                                    charizard: Card) -> None:
    url = f"/pokemon/cards/{charizard.pk}/prices"
    by_source = api_client.get(url, {"source": "tcgplayer"}).json()
    assert [r["variant"] for r in by_source["items"]] == ["1st_edition_holofoil", "holofoil"]
    both = api_client.get(url, {"source": "tcgplayer", "variant": "holofoil"}).json()
    assert [r["market_price"] for r in both["items"]] == [380.0]
    assert api_client.get(url, {"variant": "etched"}).json()["total"] == 0
    assert api_client.get(url, {"source": ""}).json()["total"] == 5


def test_price_records_bad_query_is_422(api_client: APIClient, charizard: Card) -> None:
    url = f"/pokemon/cards/{charizard.pk}/prices"
    response = api_client.get(url, {"source": "amazon", "limit": 201})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["query", "limit"], "msg": "ensure this value is less than or equal to 200",
         "type": "value_error.number.not_le"},
        {"loc": ["query", "source"],
         "msg": "value is not a valid enumeration member; permitted: "
                + ", ".join(f"'{s}'" for s in SOURCES),
         "type": "type_error.enum"}]
    assert api_client.get(url, {"limit": 0}).status_code == 422
    assert api_client.get(url, {"limit": 200}).status_code == 200


def test_price_records_of_another_tcg_or_unknown_card_are_404(api_client: APIClient,
                                                              charizard: Card) -> None:
    assert_json_404(api_client.get(f"/mtg/cards/{charizard.pk}/prices"), "Card not found")
    assert_json_404(api_client.get(f"/nope/cards/{charizard.pk}/prices"), "TCG not found")
    assert_json_404(api_client.get("/pokemon/cards/999999/prices"), "Card not found")


# --- /{tcg}/cards/{id}/prices/{price_id} ------------------------------------------------------


def test_single_price_record(api_client: APIClient, charizard: Card,
                             django_assert_max_num_queries) -> None:  # noqa: ANN001
    graded = Price.objects.get(card=charizard, grade="psa_10")
    with django_assert_max_num_queries(2):
        response = api_client.get(f"/pokemon/cards/{charizard.pk}/prices/{graded.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["source"], body["grade"], body["market_price"],
            body["observations"], body["is_reference"]) == (
        graded.pk, "ebay", "psa_10", 2400.0, 3, False)


def test_single_price_record_of_another_card_is_404(api_client: APIClient,
                                                    charizard: Card) -> None:
    other = CardFactory()
    put(other, "tcgplayer", "1.00")
    foreign = Price.objects.get(card=other)
    mtg_card = CardFactory(card_set=CardSetFactory(tcg=tcg("mtg")))

    assert_json_404(api_client.get(f"/pokemon/cards/{charizard.pk}/prices/{foreign.pk}"),
                    "Price not found")
    assert_json_404(api_client.get(f"/pokemon/cards/{charizard.pk}/prices/999999"),
                    "Price not found")
    assert_json_404(api_client.get(f"/pokemon/cards/{mtg_card.pk}/prices/{foreign.pk}"),
                    "Card not found")


def test_price_endpoints_are_in_the_openapi_schema(api_client: APIClient, db) -> None:  # noqa: ANN001
    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]

    for path in ("/api/cards/{card_id}/prices/", "/api/cards/{card_id}/price-history/",
                 "/{tcg_slug}/cards/{card_id}/prices/",
                 "/{tcg_slug}/cards/{card_id}/prices/history/",
                 "/{tcg_slug}/cards/{card_id}/prices/{price_id}/",
                 "/{tcg_slug}/cards/{card_id}/trend/"):
        operation = paths[path]["get"]
        assert {"200", "404"} <= set(operation["responses"]), path
