"""TCGs and sets: /tcgs, /tcgs/{slug}, /{tcg_slug}/sets, /{tcg_slug}/sets/{id},
/api/sets/{id}/stats and /api/sets/{id}/top-cards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalogue.models import TCG
from catalogue.tests.factories import CardFactory, CardSetFactory, SealedProductFactory, tcg

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def assert_json_404(response, detail: str) -> None:  # noqa: ANN001
    assert response.status_code == 404, (response.status_code, response.get("Location"))
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": detail}


# --- TCGs -------------------------------------------------------------------------------------


def test_tcg_list_has_the_twelve_games(api_client: APIClient, db,  # noqa: ANN001
                                       django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(1):
        body = api_client.get("/tcgs").json()

    assert list(body) == ["items"]
    assert len(body["items"]) == 12
    first = body["items"][0]
    assert set(first) == {"id", "slug", "name", "publisher", "logo_url", "website_url",
                          "description", "created_at"}
    assert (first["slug"], first["name"], first["publisher"]) == (
        "pokemon", "Pokémon TCG", "The Pokémon Company")
    assert first["logo_url"] is None
    assert {item["slug"] for item in body["items"]} >= {"pokemon", "mtg", "yugioh",
                                                         "onepiece", "lorcana", "fab"}


@pytest.mark.parametrize("path", ["/tcgs/mtg", "/tcgs/mtg/"])
def test_tcg_detail(api_client: APIClient, db, path: str) -> None:  # noqa: ANN001
    response = api_client.get(path)

    assert response.status_code == 200
    assert response.json()["id"] == TCG.objects.get(slug="mtg").pk
    assert response.json()["name"] == "Magic: The Gathering"


@pytest.mark.parametrize("path", ["/tcgs/nope", "/nope/sets", "/nope/sets/1", "/nope/cards",
                                  "/nope/cards/1", "/nope/sealed", "/nope/sealed/1"])
def test_unknown_tcg_is_404(api_client: APIClient, db, path: str) -> None:  # noqa: ANN001
    assert_json_404(api_client.get(path), "TCG not found")


@pytest.mark.parametrize(("path", "detail"), [
    ("/tcgs/nope", "TCG not found"), ("/pokemon/sets/999999", "Set not found"),
    ("/pokemon/cards/999999", "Card not found"), ("/api/sets/1", "Not found"),
    ("/nope/sealed", "TCG not found")])
def test_api_404s_reach_the_client(api_client: APIClient, db, path: str,  # noqa: ANN001
                                   detail: str) -> None:
    """An API 404 stays a JSON 404, also where a localised page has the same path."""
    assert_json_404(api_client.get(path, HTTP_ACCEPT="application/json"), detail)


@pytest.mark.parametrize("path", ["/tcgs", "/tcgs/pokemon", "/api/search?q=charizard",
                                  "/api/sets/1/stats", "/api/recent-cards", "/api/compare"])
def test_api_paths_never_redirect_browsers(api_client: APIClient, db, path: str) -> None:  # noqa: ANN001
    response = api_client.get(path, HTTP_ACCEPT=BROWSER)

    assert response.status_code in (200, 404, 422), path
    assert "Location" not in response


def test_a_browser_gets_the_tcg_list_not_a_redirect(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.get("/tcgs", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 200
    assert "Pokémon TCG" in response.content.decode()


# --- Sets -------------------------------------------------------------------------------------


def test_set_list_shape_order_and_paging(api_client: APIClient, db,  # noqa: ANN001
                                         django_assert_max_num_queries) -> None:  # noqa: ANN001
    old = CardSetFactory(source_id="base1", name="Base", code="BS",
                         release_date=date(1999, 1, 9), total_cards=102)
    new = CardSetFactory(release_date=date(2023, 8, 11))
    undated = CardSetFactory(release_date=None)
    CardSetFactory(tcg=tcg("mtg"))

    with django_assert_max_num_queries(3):
        body = api_client.get("/pokemon/sets").json()

    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)
    assert [item["id"] for item in body["items"]] == [new.pk, old.pk, undated.pk]
    assert body["items"][1] == {"id": old.pk, "tcg_id": old.tcg_id, "name": "Base",
                                "code": "BS", "release_date": "1999-01-09",
                                "total_cards": 102, "logo_url": None}
    page = api_client.get("/pokemon/sets/", {"limit": 1, "offset": 1}).json()
    assert [item["id"] for item in page["items"]] == [old.pk]


def test_set_list_query_count_does_not_grow(api_client: APIClient, db,  # noqa: ANN001
                                            django_assert_max_num_queries) -> None:  # noqa: ANN001
    for card_set in CardSetFactory.create_batch(30):
        CardFactory(card_set=card_set)

    with django_assert_max_num_queries(3):
        body = api_client.get("/pokemon/sets", {"limit": 200}).json()

    assert len(body["items"]) == 30


@pytest.mark.parametrize(("params", "type_"), [
    ({"limit": 201}, "value_error.number.not_le"), ({"limit": 0}, "value_error.number.not_ge"),
    ({"offset": -1}, "value_error.number.not_ge"), ({"limit": "x"}, "type_error.integer")])
def test_bad_set_paging_is_422(api_client: APIClient, db, params: dict,  # noqa: ANN001
                               type_: str) -> None:
    response = api_client.get("/pokemon/sets", params)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"][0], error["type"]) == ("query", type_)


def test_set_detail(api_client: APIClient, db) -> None:  # noqa: ANN001
    card_set = CardSetFactory(name="Jungle", code="JU")

    response = api_client.get(f"/pokemon/sets/{card_set.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "Jungle"
    assert response.json()["tcg_id"] == card_set.tcg_id


def test_a_set_of_another_tcg_is_not_found(api_client: APIClient, db) -> None:  # noqa: ANN001
    card_set = CardSetFactory(tcg=tcg("mtg"))

    assert_json_404(api_client.get(f"/pokemon/sets/{card_set.pk}"), "Set not found")
    assert_json_404(api_client.get("/pokemon/sets/999999"), "Set not found")


@pytest.mark.parametrize("path", ["/api/sets/1", "/api/sets/1/", "/api/sets", "/api/cards",
                                  "/api/cards/1", "/api/sealed/1"])
def test_api_is_not_a_tcg_slug(api_client: APIClient, db, path: str) -> None:  # noqa: ANN001
    """`/api/sets/1` is no TCG "api": a plain JSON 404, not "TCG not found"."""
    assert_json_404(api_client.get(path, HTTP_ACCEPT="application/json"), "Not found")


@pytest.mark.parametrize("path", ["/en/sets", "/nl/cards", "/en/sealed"])
def test_language_prefixes_are_not_tcg_slugs(api_client: APIClient, db, path: str) -> None:  # noqa: ANN001
    response = api_client.get(path, HTTP_ACCEPT="application/json")

    assert response.status_code == 404
    assert "TCG not found" not in response.content.decode()


def test_ids_too_long_for_the_database_are_404(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert_json_404(api_client.get("/pokemon/sets/99999999999999999999999"), "Not found")


# --- Set stats and top cards ------------------------------------------------------------------


@pytest.fixture
def priced_set(db):  # noqa: ANN001, ANN201
    card_set = CardSetFactory(name="Base", code="BS")
    for name, price in (("Charizard", "5800.00"), ("Blastoise", "310.00"),
                        ("Pikachu", "0.05"), ("Energy", None)):
        CardFactory(card_set=card_set, name=name,
                    best_price=Decimal(price) if price else None)
    return card_set


def test_set_stats(api_client: APIClient, priced_set,  # noqa: ANN001
                   django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(2):
        body = api_client.get(f"/api/sets/{priced_set.pk}/stats").json()

    assert body == {"set_id": priced_set.pk, "card_count": 4, "min_price": 0.05,
                    "max_price": 5800.0, "avg_price": 2036.68, "total_value": 6110.05}


def test_set_stats_without_prices_are_null(api_client: APIClient, db) -> None:  # noqa: ANN001
    card_set = CardSetFactory()
    CardFactory(card_set=card_set)

    body = api_client.get(f"/api/sets/{card_set.pk}/stats/").json()

    assert body == {"set_id": card_set.pk, "card_count": 1, "min_price": None,
                    "max_price": None, "avg_price": None, "total_value": None}


def test_set_stats_of_unknown_set_is_404(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert_json_404(api_client.get("/api/sets/999999/stats"), "Set not found")
    assert_json_404(api_client.get("/api/sets/999999/top-cards"), "Set not found")


def test_top_cards_is_a_plain_list(api_client: APIClient, priced_set,  # noqa: ANN001
                                   django_assert_max_num_queries) -> None:  # noqa: ANN001
    charizard = priced_set.cards.get(name="Charizard")
    charizard.local_image_url = "/media/cards/base1-4.webp"
    charizard.save()

    with django_assert_max_num_queries(2):
        body = api_client.get(f"/api/sets/{priced_set.pk}/top-cards", {"limit": 2}).json()

    assert body == [
        {"card_id": charizard.pk, "name": "Charizard", "number": charizard.number,
         "rarity": "Common", "image_url": "/media/cards/base1-4.webp", "best_price": 5800.0,
         "tcg_slug": "pokemon"},
        {"card_id": priced_set.cards.get(name="Blastoise").pk, "name": "Blastoise",
         "number": priced_set.cards.get(name="Blastoise").number, "rarity": "Common",
         "image_url": priced_set.cards.get(name="Blastoise").image_url, "best_price": 310.0,
         "tcg_slug": "pokemon"},
    ]
    everything = api_client.get(f"/api/sets/{priced_set.pk}/top-cards").json()
    assert [card["name"] for card in everything] == ["Charizard", "Blastoise", "Pikachu"]


@pytest.mark.parametrize("limit", [0, 51, "many"])
def test_top_cards_limit_is_1_to_50(api_client: APIClient, priced_set,  # noqa: ANN001
                                    limit: object) -> None:
    response = api_client.get(f"/api/sets/{priced_set.pk}/top-cards", {"limit": limit})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


# --- Platform counts (reported through csm's registry) ----------------------------------------


def test_catalogue_counts_in_platform_stats(api_client: APIClient, db) -> None:  # noqa: ANN001
    card_set = CardSetFactory()
    CardFactory.create_batch(3, card_set=card_set)
    CardFactory(card_set=CardSetFactory(tcg=tcg("mtg")))
    SealedProductFactory()

    totals = api_client.get("/api/stats").json()
    detailed = {row["slug"]: row for row in api_client.get("/api/stats/detailed").json()["tcgs"]}

    assert (totals["tcgs"], totals["sets"], totals["cards"], totals["sealed_products"]) == (
        12, 2, 4, 1)
    assert {k: detailed["pokemon"][k] for k in ("name", "sets", "cards")} == {
        "name": "Pokémon TCG", "sets": 1, "cards": 3}
    assert (detailed["mtg"]["sets"], detailed["mtg"]["cards"]) == (1, 1)
    assert detailed["keyforge"]["cards"] == 0
