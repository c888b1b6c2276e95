"""GET /api/search: names (typo-tolerant), collector numbers, sets, filters, ranking, cost."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from catalogue.models import Card, CardSet
from catalogue.selectors import search_sets_forget, search_sql
from catalogue.tests.factories import CardFactory, CardSetFactory, tcg

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.fixture
def catalogue(db) -> dict[str, Card | CardSet]:  # noqa: ANN001
    """A small real-looking catalogue across three games."""
    base = CardSetFactory(source_id="base1", name="Base", code="BS", series="Base",
                          total_cards=102, printed_total=102)
    base2 = CardSetFactory(source_id="base4", name="Base Set 2", code="B2", series="Base",
                           total_cards=130, printed_total=130)
    rocket = CardSetFactory(source_id="base5", name="Team Rocket", code="TR", series="Base",
                            total_cards=83, printed_total=82)
    gym = CardSetFactory(source_id="gym2", name="Gym Challenge", code="G2", series="Gym",
                         total_cards=132, printed_total=132)
    flames = CardSetFactory(source_id="sv3", name="Obsidian Flames", code="OBF",
                            series="Scarlet & Violet", total_cards=230, printed_total=197)
    promos = CardSetFactory(source_id="swshp", name="SWSH Black Star Promos", code="PR-SW",
                            series="Sword & Shield", total_cards=304, printed_total=307)
    romance = CardSetFactory(tcg=tcg("onepiece"), source_id="OP01", name="Romance Dawn",
                             code="OP01", total_cards=121, printed_total=None)
    lob = CardSetFactory(tcg=tcg("yugioh"), source_id="LOB",
                         name="Legend of Blue Eyes White Dragon", code="LOB", total_cards=126,
                         printed_total=None)

    def card(card_set: CardSet, name: str, number: str, price: str | None = None,
             **kwargs) -> Card:
        return CardFactory(card_set=card_set, name=name, number=number,
                           best_price=Decimal(price) if price else None, **kwargs)

    return {
        "charizard": card(base, "Charizard", "4", "894.61", rarity="Rare Holo"),
        "charmeleon": card(base, "Charmeleon", "24", "3.10", rarity="Uncommon"),
        "blastoise": card(base, "Blastoise", "2", "310.00", rarity="Rare Holo"),
        "charizard2": card(base2, "Charizard", "4", "250.00", rarity="Rare Holo"),
        "dark": card(rocket, "Dark Charizard", "4", "120.00", rarity="Rare Holo"),
        "blaine": card(gym, "Blaine's Charizard", "2", "737.33", rarity="Rare Holo"),
        "charizard_ex": card(flames, "Charizard ex", "223", "95.00",
                             rarity="Special Illustration Rare"),
        "pikachu": card(promos, "Pikachu", "SWSH020", "4.00", rarity="Promo"),
        "luffy": card(romance, "Monkey.D.Luffy", "OP01-001", "1.50", rarity="Leader",
                      tcg=romance.tcg, card_type="Leader"),
        "blue_eyes": card(lob, "Blue-Eyes White Dragon", "LOB-EN001", "60.00",
                          rarity="Ultra Rare", tcg=lob.tcg, card_type="Monster"),
        "base": base,
    }


def _search(client: APIClient, **params) -> dict:
    response = client.get("/api/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def _names(body: dict) -> list[str]:
    return [item["name"] for item in body["items"]]


def _ids(body: dict) -> list[int]:
    return [item["id"] for item in body["items"]]


# --- Names ------------------------------------------------------------------------------------


def test_item_shape_and_total(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    body = _search(api_client, q="Blaine's Charizard")

    assert set(body) == {"items", "total", "limit", "offset"}
    assert (body["total"], body["limit"], body["offset"]) == (1, 50, 0)
    card = catalogue["blaine"]
    assert body["items"] == [{
        "id": card.pk, "name": "Blaine's Charizard", "number": "2", "rarity": "Rare Holo",
        "card_type": "Pokémon", "display_image_url": card.image_url,
        "set_name": "Gym Challenge", "set_code": "G2", "tcg_slug": "pokemon",
        "best_price": 737.33, "price_change_7d": None}]


def test_display_image_prefers_the_local_copy(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    Card.objects.filter(pk=catalogue["pikachu"].pk).update(
        local_image_url="/media/cards/pikachu.webp")

    body = _search(api_client, q="pikachu")

    assert body["items"][0]["display_image_url"] == "/media/cards/pikachu.webp"


def test_exact_name_ranks_before_prefix_and_contains(api_client: APIClient,
                                                     catalogue) -> None:  # noqa: ANN001
    body = _search(api_client, q="charizard")

    # Exact names first (by price), then prefix ("Charizard ex"), then contained.
    assert _ids(body)[:2] == [catalogue["charizard"].pk, catalogue["charizard2"].pk]
    assert _ids(body)[2] == catalogue["charizard_ex"].pk
    assert set(_ids(body)[3:]) == {catalogue["blaine"].pk, catalogue["dark"].pk}
    assert _ids(body)[3:] == [catalogue["blaine"].pk, catalogue["dark"].pk] or ON_POSTGRES
    assert body["total"] == 5


def test_name_match_is_case_insensitive_and_matches_inside_names(
        api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    assert _names(_search(api_client, q="CHARMEL")) == ["Charmeleon"]
    assert _names(_search(api_client, q="white dragon")) == ["Blue-Eyes White Dragon"]


def test_short_words_must_be_whole_words(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    body = _search(api_client, q="charizard ex")

    assert _names(body) == ["Charizard ex"]


def test_a_typo_still_finds_the_card(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    body = _search(api_client, q="Charzard")

    assert "Charizard" in _names(body)
    assert catalogue["charizard"].pk in _ids(body)


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgresql://…")
def test_typos_use_pg_trgm_on_postgresql(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    assert connection.vendor == "postgresql"

    body = _search(api_client, q="Charzard")

    # Word similarity finds every Charizard, the plain ones (most similar) first.
    assert body["total"] == 5
    assert _names(body)[:2] == ["Charizard", "Charizard"]
    assert _names(_search(api_client, q="blastoize")) == ["Blastoise"]


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite fallback")
def test_sqlite_typo_fallback_uses_edit_distance(api_client: APIClient,
                                                 catalogue) -> None:  # noqa: ANN001
    assert connection.vendor == "sqlite"

    assert _names(_search(api_client, q="blastoys")) == ["Blastoise"]  # two edits
    assert _names(_search(api_client, q="blastiose")) == ["Blastoise"]  # a transposition
    assert _names(_search(api_client, q="blstoys")) == []  # three edits are too many
    assert _names(_search(api_client, q="vlastoise")) == []  # candidates share the initial
    body = _search(api_client, q="charzard base")
    assert _ids(body) == [catalogue["charizard"].pk, catalogue["charizard2"].pk]


# --- Numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["4/102", "#4/102", "charizard 4/102", "Charizard #4/102"])
def test_number_with_printed_total(api_client: APIClient, catalogue, q: str) -> None:  # noqa: ANN001
    assert _ids(_search(api_client, q=q)) == [catalogue["charizard"].pk]


def test_number_alone_and_with_hash(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    expected = {catalogue[k].pk for k in ("charizard", "charizard2", "dark")}

    assert set(_ids(_search(api_client, q="4"))) == expected
    assert set(_ids(_search(api_client, q="#4"))) == expected
    assert set(_ids(_search(api_client, q="004"))) == expected


@pytest.mark.parametrize(("q", "key"), [("SWSH020", "pikachu"), ("swsh020", "pikachu"),
                                        ("OP01-001", "luffy"), ("LOB-EN001", "blue_eyes"),
                                        ("pikachu SWSH020", "pikachu")])
def test_printed_codes(api_client: APIClient, catalogue, q: str, key: str) -> None:  # noqa: ANN001
    assert _ids(_search(api_client, q=q)) == [catalogue[key].pk]


# --- Sets and combinations --------------------------------------------------------------------


def test_set_code_finds_the_sets_cards(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    body = _search(api_client, q="BS")

    assert _ids(body) == [catalogue[k].pk for k in ("charizard", "blastoise", "charmeleon")]
    assert _names(_search(api_client, q="op01")) == ["Monkey.D.Luffy"]


def test_set_name_words(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    base_cards = {catalogue[k].pk for k in ("charizard", "blastoise", "charmeleon",
                                            "charizard2")}

    assert set(_ids(_search(api_client, q="base set"))) == base_cards
    assert set(_ids(_search(api_client, q="obsidian flames"))) == {catalogue["charizard_ex"].pk}


def test_name_and_set_combined(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    assert _ids(_search(api_client, q="charizard base")) == [catalogue["charizard"].pk,
                                                              catalogue["charizard2"].pk]
    assert _ids(_search(api_client, q="charizard base set 2")) == [catalogue["charizard2"].pk]
    assert _ids(_search(api_client, q="charizard rocket")) == [catalogue["dark"].pk]
    assert _ids(_search(api_client, q="blastoise BS")) == [catalogue["blastoise"].pk]


# --- Filters and paging -----------------------------------------------------------------------


def test_filters(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    assert _names(_search(api_client, q="charizard", tcg_slug="onepiece")) == []
    assert _ids(_search(api_client, q="charizard", set_id=catalogue["base"].pk)) == [
        catalogue["charizard"].pk]
    assert _ids(_search(api_client, q="charizard", rarity="special illustration rare")) == [
        catalogue["charizard_ex"].pk]
    body = _search(api_client, q="charizard", min_price="100", max_price="300.5")
    assert _ids(body) == [catalogue["charizard2"].pk, catalogue["dark"].pk]
    assert body["total"] == 2


def test_paging(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    everything = _ids(_search(api_client, q="charizard"))

    page = _search(api_client, q="charizard", limit=2, offset=2)
    past_end = _search(api_client, q="charizard", offset=10)

    assert _ids(page) == everything[2:4]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert (past_end["items"], past_end["total"]) == ([], 5)


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_missing_q_is_422_in_the_contract_shape(api_client: APIClient, db,  # noqa: ANN001
                                                params: dict) -> None:
    response = api_client.get("/api/search", params)

    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["query", "q"], "msg": "field required",
                                           "type": "value_error.missing"}]}


@pytest.mark.parametrize(("params", "loc", "type_"), [
    ({"limit": 201}, "limit", "value_error.number.not_le"),
    ({"limit": 0}, "limit", "value_error.number.not_ge"),
    ({"offset": -1}, "offset", "value_error.number.not_ge"),
    ({"set_id": "x"}, "set_id", "type_error.integer"),
    ({"min_price": "cheap"}, "min_price", "type_error.float"),
    ({"max_price": "-1"}, "max_price", "value_error.number.not_ge"),
])
def test_bad_parameters_are_422(api_client: APIClient, db, params: dict, loc: str,  # noqa: ANN001
                                type_: str) -> None:
    response = api_client.get("/api/search", {"q": "charizard", **params})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["query", loc], type_)


def test_unknown_tcg_slug_is_404(api_client: APIClient, catalogue) -> None:  # noqa: ANN001
    response = api_client.get("/api/search", {"q": "charizard", "tcg_slug": "nope"})

    assert response.status_code == 404
    assert response.json() == {"detail": "TCG not found"}


# --- Cost -------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["charizard", "charizard base", "charizard 4/102", "SWSH020",
                               "BS", "white dragon", "ex", "mew"])
def test_a_search_is_two_queries(api_client: APIClient, catalogue, q: str,  # noqa: ANN001
                                 django_assert_num_queries) -> None:  # noqa: ANN001
    CardFactory.create_batch(30, card_set=catalogue["base"], name="Charizard ex")
    CardFactory(card_set=catalogue["base"], name="Mewtwo")
    _search(api_client, q="anything")  # the set index is cached from now on

    with django_assert_num_queries(2):
        body = _search(api_client, q=q, limit=200)

    assert body["items"]


def test_a_typo_costs_one_more_query(api_client: APIClient, catalogue,  # noqa: ANN001
                                     django_assert_max_num_queries) -> None:  # noqa: ANN001
    _search(api_client, q="anything")

    with django_assert_max_num_queries(3 if ON_POSTGRES else 4):
        body = _search(api_client, q="charzard base")

    assert _ids(body) == [catalogue["charizard"].pk, catalogue["charizard2"].pk]


def test_new_sets_are_searchable_once_the_index_is_forgotten(api_client: APIClient,  # noqa: ANN001
                                                             catalogue) -> None:  # noqa: ANN001
    assert _search(api_client, q="jungle")["total"] == 0
    jungle = CardSetFactory(source_id="base2", name="Jungle", code="JU")
    CardFactory(card_set=jungle, name="Scyther")

    search_sets_forget()

    assert _names(_search(api_client, q="jungle")) == ["Scyther"]
    assert _names(_search(api_client, q="JU")) == ["Scyther"]


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgresql://…")
def test_search_uses_the_trigram_index(catalogue) -> None:  # noqa: ANN001
    """With sequential scans priced out, the planner can answer from indexes alone: every
    condition of the card query is indexable."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for q, fuzzy in (("charizard", False), ("Charzard", True), ("charizard base", False),
                         ("4/102", False), ("SWSH020", False), ("ex", False), ("mew", False)):
            sql, params = search_sql(q=q, fuzzy=fuzzy)
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan on catalogue_card " not in plan, plan
