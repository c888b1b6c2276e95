"""Market intelligence endpoints: contract shapes, bad input, warm requests without SQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from marketplace.services import seller_profile_create
from pricing import market
from pricing.models import FxRate
from pricing.tests.market_data import Series, days_before, write_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def book() -> dict[str, object]:
    """Two Pokémon cards and an MTG card with a week of history, two of them priced by a
    second source."""
    end = timezone.now().date() - timedelta(days=1)
    FxRate.objects.create(date=end, currency="USD", rate=Decimal("1.10"))
    pokemon = CardSetFactory(tcg=tcg("pokemon"), name="Base")
    mtg = CardSetFactory(tcg=tcg("mtg"), name="Alpha")
    up = CardFactory(card_set=pokemon, name="Fire Energy")
    down = CardFactory(card_set=pokemon, name="Water Energy")
    lotus = CardFactory(card_set=mtg, name="Black Lotus")
    write_series(
        Series(up, days_before(end, ["1.00", "1.20", "1.10", "1.50", "1.40", "1.80", "1.90",
                                     "6.00"])),
        Series(down, days_before(end, ["4.00", "3.00"], step=7)),
        Series(lotus, days_before(end, ["100", "100"], step=7), source="scryfall"),
        Series(up, [(end, "9.00", 2)], source="ebay", primary=False),
        Series(lotus, [(end, "110", 2)], source="cardmarket", currency="EUR", primary=False))
    return {"end": end, "up": up, "down": down, "lotus": lotus}


def error(response) -> list[dict]:  # noqa: ANN001
    assert response.status_code == 422, response.content
    return response.json()["detail"]


# --- /api/market/movers -----------------------------------------------------------------------

def test_movers_shape_per_the_contract(api_client, book) -> None:  # noqa: ANN001
    response = api_client.get("/api/market/movers")

    assert response.status_code == 200
    body = response.json()
    assert (body["period"], body["tcg"]) == ("7d", "all")
    gainer = body["gainers"][0]
    assert {k: gainer[k] for k in ("card_id", "name", "set_name", "tcg_slug", "current_price",
                                   "change_pct", "change_abs")} == {
        "card_id": book["up"].pk, "name": "Fire Energy", "set_name": "Base",
        "tcg_slug": "pokemon", "current_price": 6.0, "change_pct": 500.0, "change_abs": 5.0}
    assert [c["name"] for c in body["losers"]] == ["Water Energy"]
    assert body["most_volatile"][0]["name"] == "Fire Energy"
    assert (body["cards_with_data"], body["cards_up"], body["cards_down"],
            body["cards_flat"]) == (3, 1, 1, 1)
    assert body["stale"] is False and "generated_at" in body


def test_movers_filter_by_tcg_period_and_limit(api_client, book) -> None:  # noqa: ANN001
    mtg = api_client.get("/api/market/movers", {"tcg": "mtg", "period": "30d", "limit": 1})

    assert mtg.status_code == 200
    assert (mtg.json()["tcg"], mtg.json()["period"], mtg.json()["cards_with_data"]) == (
        "mtg", "30d", 0)  # a week of history is no 30-day move
    pokemon = api_client.get("/api/market/movers", {"tcg": "pokemon", "limit": 1}).json()
    assert len(pokemon["gainers"]) == 1 and pokemon["cards_with_data"] == 2


@pytest.mark.parametrize(("params", "loc", "msg", "type_"), [
    ({"period": "1y"}, "period",
     "value is not a valid enumeration member; permitted: '7d', '30d', '90d'",
     "type_error.enum"),
    ({"limit": "51"}, "limit", "ensure this value is less than or equal to 50",
     "value_error.number.not_le"),
    ({"limit": "0"}, "limit", "ensure this value is greater than or equal to 1",
     "value_error.number.not_ge"),
    ({"limit": "ten"}, "limit", "value is not a valid integer", "type_error.integer"),
])
def test_movers_bad_query_is_422(api_client, params, loc, msg, type_) -> None:  # noqa: ANN001
    assert error(api_client.get("/api/market/movers", params)) == [
        {"loc": ["query", loc], "msg": msg, "type": type_}]


@pytest.mark.parametrize("slug", ["nosuchgame", "Pokemon", "../etc", "x" * 32])
def test_movers_unknown_tcg_is_404(api_client, slug) -> None:  # noqa: ANN001
    response = api_client.get("/api/market/movers", {"tcg": slug})

    assert response.status_code == 404
    assert response.json() == {"detail": "TCG not found"}


def test_warm_movers_request_runs_no_sql(api_client, book,  # noqa: ANN001
                                         django_assert_num_queries) -> None:
    market.market_caches_warm_all()

    with django_assert_num_queries(0):
        for params in ({}, {"tcg": "pokemon", "period": "30d"}, {"tcg": "mtg", "limit": 50}):
            assert api_client.get("/api/market/movers", params).status_code == 200


def test_cold_movers_request_computes_with_few_queries(api_client, book,  # noqa: ANN001
                                                       django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(6):
        assert api_client.get("/api/market/movers").json()["gainers"][0]["name"] == \
            "Fire Energy"


# --- /api/market-movers (legacy) ----------------------------------------------------------------

def test_legacy_movers_flat_list(api_client, book) -> None:  # noqa: ANN001
    mox = CardFactory(card_set=book["lotus"].card_set, name="Mox Sapphire")
    write_series(Series(mox, days_before(book["end"], ["50", "100"], step=30)))

    up = api_client.get("/api/market-movers")
    down = api_client.get("/api/market-movers", {"direction": "down", "tcg_slug": "pokemon"})

    assert up.status_code == 200 and isinstance(up.json(), list)
    assert [c["name"] for c in up.json()] == ["Mox Sapphire"]
    assert up.json()[0]["change_pct"] == 100.0
    assert down.json() == []


def test_legacy_movers_bad_input(api_client, book) -> None:  # noqa: ANN001
    assert error(api_client.get("/api/market-movers", {"direction": "sideways"}))[0]["msg"] \
        == "value is not a valid enumeration member; permitted: 'up', 'down'"
    assert error(api_client.get("/api/market-movers", {"limit": "51"}))[0]["loc"] == \
        ["query", "limit"]
    assert api_client.get("/api/market-movers", {"tcg_slug": "nope"}).status_code == 404


# --- /api/market/best-deals -------------------------------------------------------------------

def test_best_deals(api_client, book) -> None:  # noqa: ANN001
    body = api_client.get("/api/market/best-deals").json()

    assert [(d["name"], d["cheapest_source"], d["most_expensive_source"], d["spread_pct"])
            for d in body["items"]] == [("Fire Energy", "tcgplayer", "ebay", 50.0),
                                        ("Black Lotus", "scryfall", "cardmarket", 21.0)]
    assert (body["total"], body["cards_compared"], body["min_spread_pct"]) == (2, 2, 20.0)
    lotus = body["items"][1]
    assert (lotus["most_expensive_price"], lotus["most_expensive_price_original"],
            lotus["most_expensive_currency"]) == (121.0, 110.0, "EUR")

    narrow = api_client.get("/api/market/best-deals", {"min_spread_pct": "30",
                                                       "limit": 1}).json()
    assert [d["name"] for d in narrow["items"]] == ["Fire Energy"] and narrow["total"] == 1
    mtg = api_client.get("/api/market/best-deals", {"tcg_slug": "mtg"}).json()
    assert [d["name"] for d in mtg["items"]] == ["Black Lotus"]


@pytest.mark.parametrize(("params", "loc", "type_"), [
    ({"limit": "101"}, "limit", "value_error.number.not_le"),
    ({"min_spread_pct": "-1"}, "min_spread_pct", "value_error.number.not_ge"),
    ({"min_spread_pct": "lots"}, "min_spread_pct", "type_error.float"),
    ({"min_spread_pct": "nan"}, "min_spread_pct", "type_error.float"),
])
def test_best_deals_bad_query_is_422(api_client, params, loc, type_) -> None:  # noqa: ANN001
    items = error(api_client.get("/api/market/best-deals", params))
    assert [(i["loc"], i["type"]) for i in items] == [(["query", loc], type_)]


def test_best_deals_unknown_tcg_is_404(api_client) -> None:  # noqa: ANN001
    response = api_client.get("/api/market/best-deals", {"tcg_slug": "nosuchgame"})
    assert (response.status_code, response.json()) == (404, {"detail": "TCG not found"})


# --- stats, overview, radar, sellers, trending -----------------------------------------------

def test_stats_exact_contract_fields(api_client, book) -> None:  # noqa: ANN001
    body = api_client.get("/api/market/stats").json()

    assert set(body) == {"total_cards", "total_prices", "total_users", "total_sellers",
                         "tcgs_covered", "last_update"}
    assert (body["total_cards"], body["total_prices"], body["tcgs_covered"]) == (3, 5, 2)


def test_overview(api_client, book) -> None:  # noqa: ANN001
    body = api_client.get("/api/market/overview").json()

    assert body["biggest_gainer"]["name"] == "Fire Energy"
    assert body["biggest_loser"]["name"] == "Water Energy"
    assert (body["cards_with_data"], body["cards_up"], body["cards_down"],
            body["cards_flat"]) == (3, 1, 1, 1)
    assert body["average_change_pct"] == round((500 - 25 + 0) / 3, 2)


def test_radar_stats(api_client, book) -> None:  # noqa: ANN001
    body = api_client.get("/api/market/radar-stats").json()

    assert (body["tracked_cards"], body["priced_cards"], body["gainers_7d"],
            body["losers_7d"], body["best_deals"]) == (3, 3, 1, 1, 2)
    assert body["active_sources"] == 4


def test_active_sellers(api_client, make_user) -> None:  # noqa: ANN001
    seller = make_user(username="shop", last_login=timezone.now())
    seller_profile_create(user=seller, display_name="The Shop")

    body = api_client.get("/api/market/active-sellers").json()

    assert body["items"] == [] and body["total"] == 0
    assert body["reason"] == "The marketplace has no listings or sales yet."


def test_trending(api_client) -> None:  # noqa: ANN001
    end = timezone.now().date() - timedelta(days=1)
    card = CardFactory(name="Umbreon")
    write_series(Series(card, days_before(end, ["10"] * 14, observations=[5] * 7 + [8] * 7)))

    body = api_client.get("/api/trending").json()
    assert [c["name"] for c in body["items"]] == ["Umbreon"]
    assert body["items"][0]["activity_growth_pct"] == 60.0

    assert error(api_client.get("/api/trending", {"limit": "51"}))[0]["loc"] == \
        ["query", "limit"]
    assert api_client.get("/api/trending", {"tcg_slug": "nope"}).status_code == 404
    assert api_client.get("/api/trending", {"tcg_slug": "mtg"}).json()["items"] == []


def test_market_endpoints_answer_with_an_empty_book(api_client) -> None:  # noqa: ANN001
    for path in ("/api/market/movers", "/api/market-movers", "/api/market/best-deals",
                 "/api/market/stats", "/api/market/overview", "/api/market/radar-stats",
                 "/api/market/active-sellers", "/api/trending"):
        assert api_client.get(path).status_code == 200, path


@pytest.mark.parametrize("query", [
    "", "tcg=pokemon", "period=30d&limit=50", "limit=1&tcg=", "tcg=all&period=90d",
    "limit=%207", "limit=+5", "limit=5.0", "limit=٣", "tcg=%20mtg%20", "other=1&limit=3",
])
def test_fast_query_parsing_agrees_with_the_serializer(rf, query) -> None:  # noqa: ANN001
    from rest_framework.request import Request

    from csm.api.validation import validate_query
    from pricing.api.market import MoversQuery, _fast_parse

    request = Request(rf.get(f"/api/market/movers?{query}"))
    fast = _fast_parse(MoversQuery, request)
    if fast is not None:
        assert fast == validate_query(MoversQuery, request)


def test_a_new_warm_up_replaces_what_requests_see(api_client, book,  # noqa: ANN001
                                                  django_capture_on_commit_callbacks) -> None:
    market.market_caches_warm_all()
    before = api_client.get("/api/market/movers", {"tcg": "mtg"}).json()
    assert before["cards_flat"] == 1 and before["stale"] is False

    write_series(Series(book["lotus"], [(book["end"] + timedelta(days=1), "150", 1)],
                        source="scryfall"))
    with django_capture_on_commit_callbacks() as callbacks:
        market.market_caches_refresh()
    assert api_client.get("/api/market/movers", {"tcg": "mtg"}).json() == {
        **before, "stale": True}

    callbacks[0]()
    after = api_client.get("/api/market/movers", {"tcg": "mtg"}).json()
    assert after["stale"] is False and after["generated_at"] != before["generated_at"]
    assert [c["name"] for c in after["gainers"]] == ["Black Lotus"]
