"""Cards: /{tcg_slug}/cards, /{tcg_slug}/cards/{id}, /api/recent-cards, /api/new-cards,
/cards/top and /api/compare."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue.models import Card
from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from catalogue.tests.test_api_tcgs_sets import assert_json_404
from pricing.summaries import price_summaries_refresh
from pricing.tests.book import put


def _ids(body: dict) -> list[int]:
    return [item["id"] for item in body["items"]]


# --- /{tcg_slug}/cards ------------------------------------------------------------------------


@pytest.fixture
def base_set(db):  # noqa: ANN001, ANN201
    card_set = CardSetFactory(source_id="base1", name="Base", code="BS")
    for number, name, rarity in (("10", "Mewtwo", "Rare Holo"), ("2", "Blastoise", "Rare Holo"),
                                 ("4", "Charizard", "Rare Holo"),
                                 ("46", "Charmander", "Common")):
        CardFactory(card_set=card_set, number=number, name=name, rarity=rarity)
    return card_set


def test_card_list_item_shape_and_number_order(api_client: APIClient, base_set,  # noqa: ANN001
                                               django_assert_max_num_queries) -> None:  # noqa: ANN001
    CardFactory(card_set=CardSetFactory(tcg=tcg("mtg")), card_type="Creature")

    with django_assert_max_num_queries(3):
        body = api_client.get("/pokemon/cards").json()

    assert (body["total"], body["limit"], body["offset"]) == (4, 50, 0)
    assert [item["number"] for item in body["items"]] == ["2", "4", "10", "46"]
    charizard = Card.objects.get(name="Charizard")
    assert body["items"][1] == {
        "id": charizard.pk, "card_set_id": base_set.pk, "name": "Charizard", "number": "4",
        "rarity": "Rare Holo", "card_type": "Pokémon", "image_url": charizard.image_url,
        "local_image_url": None, "attributes": {"subtypes": ["Basic"]}}


def test_card_list_filters(api_client: APIClient, base_set) -> None:  # noqa: ANN001
    other = CardFactory(card_set=CardSetFactory(), name="Dark Charizard", rarity="Rare Holo")

    def names(**params) -> list[str]:
        return [item["name"] for item in api_client.get("/pokemon/cards", params).json()["items"]]

    assert names(set_id=base_set.pk, rarity="rare holo") == ["Blastoise", "Charizard", "Mewtwo"]
    assert sorted(names(name="CHAR")) == ["Charizard", "Charmander", "Dark Charizard"]
    assert names(name="izar", set_id=other.card_set_id) == ["Dark Charizard"]
    assert names(rarity="Secret") == []


def test_card_list_query_count_does_not_grow(api_client: APIClient, db,  # noqa: ANN001
                                             django_assert_max_num_queries) -> None:  # noqa: ANN001
    for card_set in CardSetFactory.create_batch(5):
        CardFactory.create_batch(20, card_set=card_set)

    with django_assert_max_num_queries(3):
        body = api_client.get("/pokemon/cards", {"limit": 200, "name": "card"}).json()

    assert len(body["items"]) == 100


@pytest.mark.parametrize(("params", "loc", "type_"), [
    ({"limit": 201}, "limit", "value_error.number.not_le"),
    ({"offset": -1}, "offset", "value_error.number.not_ge"),
    ({"set_id": "base1"}, "set_id", "type_error.integer"),
])
def test_card_list_bad_query_is_422(api_client: APIClient, db, params: dict, loc: str,  # noqa: ANN001
                                    type_: str) -> None:
    response = api_client.get("/pokemon/cards", params)

    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(["query", loc],
                                                                          type_)]


def test_every_bad_parameter_is_reported_at_once(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.get("/pokemon/cards", {"limit": 0, "set_id": "x"})

    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {("query", "limit"),
                                                                     ("query", "set_id")}


# --- /{tcg_slug}/cards/{card_id} --------------------------------------------------------------


def test_card_detail_is_two_queries(api_client: APIClient, base_set,  # noqa: ANN001
                                    django_assert_max_num_queries) -> None:  # noqa: ANN001
    card = Card.objects.get(name="Charizard")
    card.variants = ["holofoil", "1st_edition_holofoil"]
    card.best_price = Decimal("894.61")
    card.local_image_url = "/media/cards/base1-4.webp"
    card.save()

    # The card with its set and TCG, then its price book.
    with django_assert_max_num_queries(2):
        response = api_client.get(f"/pokemon/cards/{card.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": card.pk, "card_set_id": base_set.pk, "tcg_slug": "pokemon", "name": "Charizard",
        "number": "4", "rarity": "Rare Holo", "card_type": "Pokémon",
        "image_url": card.image_url, "local_image_url": "/media/cards/base1-4.webp",
        "attributes": {"subtypes": ["Basic"]},
        "variants": ["holofoil", "1st_edition_holofoil"],
        "set": {"id": base_set.pk, "name": "Base", "code": "BS", "series": base_set.series,
                "release_date": base_set.release_date.isoformat(), "total_cards": 102,
                "printed_total": 102, "logo_url": None},
        "best_price": 894.61, "price_change_7d": None, "prices": []}


def test_card_detail_lists_the_price_book(api_client: APIClient, base_set,  # noqa: ANN001
                                          django_assert_max_num_queries) -> None:  # noqa: ANN001
    card = Card.objects.get(name="Charizard")
    put(card, "cardmarket", "737.33", currency="EUR")
    put(card, "ebay", "2400.00", grade="psa_10")
    put(card, "tcgplayer", "894.61", variant="1st_edition_holofoil")
    put(card, "cardtrader", "600.00", condition="LP", currency="EUR", language="de")
    price_summaries_refresh(card_ids={card.pk}, sealed_ids=set())

    with django_assert_max_num_queries(2):
        prices = api_client.get(f"/pokemon/cards/{card.pk}").json()["prices"]

    assert prices == [
        {"source": "tcgplayer", "market_price": 894.61, "currency": "USD",
         "variant": "1st_edition_holofoil", "condition": "NM", "language": "en",
         "grade": "raw"},
        {"source": "cardmarket", "market_price": 737.33, "currency": "EUR",
         "variant": "normal", "condition": "NM", "language": "en", "grade": "raw"},
        {"source": "cardtrader", "market_price": 600.0, "currency": "EUR",
         "variant": "normal", "condition": "LP", "language": "de", "grade": "raw"},
        {"source": "ebay", "market_price": 2400.0, "currency": "USD",
         "variant": "normal", "condition": "NM", "language": "en", "grade": "psa_10"},
    ]


def test_card_detail_of_another_tcg_or_unknown_is_404(api_client: APIClient,  # noqa: ANN001
                                                      base_set) -> None:  # noqa: ANN001
    card = Card.objects.get(name="Charizard")

    assert_json_404(api_client.get(f"/mtg/cards/{card.pk}"), "Card not found")
    assert_json_404(api_client.get("/pokemon/cards/999999/"), "Card not found")


# --- Recent, new and top cards ----------------------------------------------------------------


def _added(days_ago: float, **kwargs) -> Card:
    return CardFactory(created_at=timezone.now() - timedelta(days=days_ago), **kwargs)


def test_recent_cards_are_the_last_seven_days(api_client: APIClient, db,  # noqa: ANN001
                                              django_assert_max_num_queries) -> None:  # noqa: ANN001
    newest, older = _added(0.1), _added(6.5)
    _added(8)
    mtg = _added(1, card_set=CardSetFactory(tcg=tcg("mtg")))

    with django_assert_max_num_queries(2):
        body = api_client.get("/api/recent-cards").json()

    assert _ids(body) == [newest.pk, mtg.pk, older.pk]
    assert (body["total"], body["limit"], body["offset"]) == (3, 20, 0)
    item = body["items"][0]
    assert set(item) == {"id", "name", "number", "rarity", "card_type", "display_image_url",
                         "set_name", "set_code", "tcg_slug", "best_price", "price_change_7d",
                         "created_at"}
    assert _ids(api_client.get("/api/recent-cards", {"tcg_slug": "mtg"}).json()) == [mtg.pk]


def test_recent_cards_limits_and_unknown_tcg(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert api_client.get("/api/recent-cards", {"limit": 101}).status_code == 422
    assert api_client.get("/api/recent-cards", {"limit": 100}).status_code == 200
    assert_json_404(api_client.get("/api/recent-cards", {"tcg_slug": "nope"}), "TCG not found")


def test_new_cards_since_a_date(api_client: APIClient, db,  # noqa: ANN001
                                django_assert_max_num_queries) -> None:  # noqa: ANN001
    recent, month = _added(2), _added(25)
    older = _added(40)

    with django_assert_max_num_queries(2):
        default = api_client.get("/api/new-cards").json()
    since = (timezone.now() - timedelta(days=45)).date().isoformat()
    dated = api_client.get("/api/new-cards", {"since": since, "limit": 2}).json()

    assert _ids(default) == [recent.pk, month.pk]
    assert (default["limit"], default["total"]) == (50, 2)
    assert _ids(dated) == [recent.pk, month.pk]
    assert dated["total"] == 3
    assert _ids(api_client.get("/api/new-cards", {"since": since, "offset": 2}).json()) == [
        older.pk]


@pytest.mark.parametrize("since", ["yesterday", "2024-13-01", "2024/01/01", "01-02-2024"])
def test_new_cards_bad_date_is_422(api_client: APIClient, db, since: str) -> None:  # noqa: ANN001
    response = api_client.get("/api/new-cards", {"since": since})

    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["query", "since"],
                                          "msg": "invalid date format",
                                          "type": "type_error.date"}]


def test_new_cards_limit_is_1_to_200(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert api_client.get("/api/new-cards", {"limit": 201}).status_code == 422
    assert api_client.get("/api/new-cards", {"limit": 0}).status_code == 422


def test_top_cards_across_tcgs(api_client: APIClient, db,  # noqa: ANN001
                               django_assert_max_num_queries) -> None:  # noqa: ANN001
    lotus = CardFactory(card_set=CardSetFactory(tcg=tcg("mtg")), name="Black Lotus",
                        best_price=Decimal("25000"))
    charizard = CardFactory(name="Charizard", best_price=Decimal("894.61"))
    pikachu = CardFactory(name="Pikachu", best_price=Decimal("4"))
    CardFactory(name="Unpriced")
    CardFactory.create_batch(10, best_price=Decimal("1"))

    with django_assert_max_num_queries(2):
        body = api_client.get("/cards/top", {"limit": 3}).json()

    assert _ids(body) == [lotus.pk, charizard.pk, pikachu.pk]
    assert (body["total"], body["limit"]) == (13, 3)
    assert body["items"][0]["best_price"] == 25000.0
    assert body["items"][0]["tcg_slug"] == "mtg"
    pokemon = api_client.get("/cards/top/", {"tcg_slug": "pokemon"}).json()
    assert _ids(pokemon)[:2] == [charizard.pk, pikachu.pk]
    assert pokemon["limit"] == 25


def test_top_cards_bad_input(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert api_client.get("/cards/top", {"limit": 101}).status_code == 422
    assert_json_404(api_client.get("/cards/top", {"tcg_slug": "nope"}), "TCG not found")


# --- /api/compare -----------------------------------------------------------------------------


def test_compare_keeps_the_requested_order(api_client: APIClient, db,  # noqa: ANN001
                                           django_assert_max_num_queries) -> None:  # noqa: ANN001
    a, b, c = CardFactory(), CardFactory(card_set=CardSetFactory(tcg=tcg("mtg"))), CardFactory()
    put(c, "tcgplayer", "3.10")
    put(b, "scryfall", "7.25", variant="foil")
    put(b, "cardmarket", "6.00", currency="EUR")

    # The cards, then every card's prices in one query.
    with django_assert_max_num_queries(2):
        body = api_client.get("/api/compare", {"ids": f"{c.pk},{a.pk},{b.pk}"}).json()

    assert _ids(body) == [c.pk, a.pk, b.pk]
    assert body["items"][1]["prices"] == []
    assert [(p["source"], p["market_price"]) for p in body["items"][0]["prices"]] == [
        ("tcgplayer", 3.1)]
    assert [(p["source"], p["variant"]) for p in body["items"][2]["prices"]] == [
        ("scryfall", "foil"), ("cardmarket", "normal")]
    assert body["items"][2]["tcg_slug"] == "mtg"
    assert _ids(api_client.get("/api/compare", {"ids": f"{a.pk}"}).json()) == [a.pk]
    assert _ids(api_client.get("/api/compare", {"ids": f"{a.pk}, {a.pk}"}).json()) == [a.pk]


@pytest.mark.parametrize(("ids", "type_"), [
    (None, "value_error.missing"), ("", "value_error.missing"),
    ("1,x", "type_error.integer"), ("1,,2", "type_error.integer"),
    ("-1", "type_error.integer"), ("1,2,3,4", "value_error.list.max_items"),
])
def test_compare_bad_ids_are_422(api_client: APIClient, db, ids: str | None,  # noqa: ANN001
                                 type_: str) -> None:
    response = api_client.get("/api/compare", {} if ids is None else {"ids": ids})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["query", "ids"], type_)


def test_compare_unknown_card_is_404(api_client: APIClient, db) -> None:  # noqa: ANN001
    card = CardFactory()

    assert_json_404(api_client.get("/api/compare", {"ids": f"{card.pk},999999"}),
                    "Card not found")
