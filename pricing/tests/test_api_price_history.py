"""/api/cards/{id}/price-history, /{tcg}/cards/{id}/prices/history and /{tcg}/cards/{id}/trend,
and the series analysis behind them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue.models import Card
from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from catalogue.tests.test_api_tcgs_sets import assert_json_404
from pricing.selectors import change_pct, trend, volatility
from pricing.summaries import price_summaries_refresh
from pricing.tests.book import history, put

pytestmark = pytest.mark.django_db


def day(days_ago: int) -> str:
    return (timezone.now().date() - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def card() -> Card:
    """TCGplayer (the reference series) with 100 days of history, Cardmarket in EUR for the
    last few days, and rows the chart leaves out (graded, played)."""
    card = CardFactory(name="Charizard")
    history(card, "tcgplayer", {100: "50.00", 40: "80.00", 31: "90.00", 10: "95.00",
                                7: "100.00", 3: "100.00", 2: "110.00", 1: "99.00",
                                0: "108.90"}, variant="holofoil", observations=2)
    history(card, "cardmarket", {5: "70.00", 1: "72.50"}, currency="EUR", observations=4)
    history(card, "ebay", {6: "900.00", 1: "950.00"}, grade="psa_10")
    put(card, "cardtrader", "40.00", condition="LP", currency="EUR", days_ago=1)
    price_summaries_refresh(card_ids={card.pk}, sealed_ids=set())
    return card


# --- The analysis rules -----------------------------------------------------------------------


def _points(prices: dict[int, str]) -> list[tuple[date, Decimal]]:
    start = date(2026, 1, 1)
    return [(start + timedelta(days=d), Decimal(p)) for d, p in sorted(prices.items())]


def test_change_is_against_the_latest_snapshot_at_least_n_days_older() -> None:
    points = _points({0: "50", 5: "80", 6: "100", 12: "120"})
    assert change_pct(points, 7) == Decimal("50.00")  # day 5 (80) -> day 12 (120)
    assert change_pct(points, 6) == Decimal("20.00")  # day 6 (100)
    assert change_pct(points, 13) is None
    assert change_pct([], 7) is None


def test_change_looks_back_no_more_than_twice_the_period() -> None:
    points = _points({0: "50", 20: "100", 30: "120"})
    assert change_pct(points, 7) == Decimal("20.00")  # day 20: 10 days back, within 7–14
    assert change_pct(points, 4) is None  # nothing 4–8 days back
    assert change_pct(points, 14) is None  # day 0 is 30 days back, beyond 28
    assert change_pct(points, 15) == Decimal("140.00")  # day 0, exactly 2 × 15 back


def test_volatility_is_the_std_of_daily_log_returns() -> None:
    assert volatility(_points({0: "100", 1: "110", 2: "99", 3: "108.9"})) == 0.1159
    # A 2-day gap counts as one return of daily size ln(1.21)/√2.
    assert volatility(_points({0: "100", 2: "121", 3: "110"})) == 0.1627
    assert volatility(_points({0: "100", 1: "101", 2: "102.01"})) == 0.0
    assert volatility(_points({0: "100", 1: "110"})) is None


def test_trend_is_the_slope_relative_to_the_mean_per_week() -> None:
    rising = trend(_points({0: "100", 1: "102", 2: "104", 3: "106"}))
    assert (rising.direction, rising.slope_per_day, rising.pct_per_week) == ("rising", 2.0,
                                                                             13.59)
    assert trend(_points({0: "100", 7: "99.5", 14: "100.2", 21: "99.8"})).direction == "stable"
    assert trend(_points({0: "100", 10: "90", 20: "80"})).direction == "falling"
    assert trend(_points({0: "100", 1: "90"})) is None


# --- /api/cards/{id}/price-history ------------------------------------------------------------


def test_price_history_gives_raw_nm_snapshots_and_the_reference_analysis(
        api_client: APIClient, card: Card, django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(4):
        response = api_client.get(f"/api/cards/{card.pk}/price-history", {"days": 7})

    assert response.status_code == 200
    body = response.json()
    assert (body["card_id"], body["days"], body["source"], body["variant"]) == (
        card.pk, 7, None, None)
    assert [(s["date"], s["source"], s["market_price"]) for s in body["snapshots"]] == [
        (day(7), "tcgplayer", 100.0), (day(5), "cardmarket", 70.0),
        (day(3), "tcgplayer", 100.0), (day(2), "tcgplayer", 110.0),
        (day(1), "tcgplayer", 99.0), (day(1), "cardmarket", 72.5),
        (day(0), "tcgplayer", 108.9)]
    assert body["snapshots"][1] == {"date": day(5), "source": "cardmarket",
                                    "market_price": 70.0, "variant": "normal",
                                    "language": "en", "currency": "EUR"}
    analysis = body["analysis"]
    assert analysis["series"]["source"] == "tcgplayer"
    assert analysis["series"]["variant"] == "holofoil"
    assert (analysis["change_7d"], analysis["change_30d"], analysis["change_90d"]) == (
        8.9, 21.0, 117.8)  # 100 -> 108.90, 90 -> 108.90, 50 -> 108.90
    # returns 0 (day 7 -> 3, 4-day gap), ln 1.1, ln 0.9, ln 1.1: sample std 0.0957
    assert analysis["volatility"] == 0.0957
    assert analysis["trend"] == "rising"  # slope 0.94/day on a mean of 103.6: +6.4 %/week
    assert (analysis["data_points"], analysis["observations"]) == (5, 10)
    assert analysis["reason"] is None


def test_price_history_window_and_defaults(api_client: APIClient, card: Card) -> None:
    body = api_client.get(f"/api/cards/{card.pk}/price-history/").json()
    assert body["days"] == 90
    dates = {s["date"] for s in body["snapshots"] if s["source"] == "tcgplayer"}
    assert day(40) in dates and day(100) not in dates
    year = api_client.get(f"/api/cards/{card.pk}/price-history", {"days": 365}).json()
    assert day(100) in {s["date"] for s in year["snapshots"]}
    assert year["analysis"]["data_points"] == 9


def test_price_history_filtered_by_source_analyses_that_source(api_client: APIClient,
                                                               card: Card) -> None:
    body = api_client.get(f"/api/cards/{card.pk}/price-history",
                          {"source": "cardmarket", "days": 30}).json()

    assert {s["source"] for s in body["snapshots"]} == {"cardmarket"}
    analysis = body["analysis"]
    assert analysis["series"]["source"] == "cardmarket"
    assert analysis["series"]["currency"] == "EUR"
    assert (analysis["change_7d"], analysis["volatility"], analysis["trend"]) == (
        None, None, None)
    assert "change_7d, change_30d, change_90d" in analysis["reason"]
    assert "volatility, trend" in analysis["reason"]
    variant = api_client.get(f"/api/cards/{card.pk}/price-history",
                             {"variant": "holofoil"}).json()
    assert {s["variant"] for s in variant["snapshots"]} == {"holofoil"}


def test_price_history_without_prices_is_null_with_a_reason(api_client: APIClient) -> None:
    unpriced = CardFactory()
    put(unpriced, "ebay", "500.00", grade="psa_10")  # graded only: no raw series

    body = api_client.get(f"/api/cards/{unpriced.pk}/price-history").json()

    assert body["snapshots"] == []
    assert body["analysis"] == {
        "change_7d": None, "change_30d": None, "change_90d": None, "volatility": None,
        "trend": None, "data_points": 0, "observations": 0, "series": None,
        "reason": "No raw near-mint price is recorded for this card yet."}
    filtered = api_client.get(f"/api/cards/{unpriced.pk}/price-history",
                              {"source": "tcgplayer"}).json()
    assert "source and variant filter" in filtered["analysis"]["reason"]


@pytest.mark.parametrize(("params", "loc", "msg", "type_"), [
    ({"days": 45}, "days",
     "value is not a valid enumeration member; permitted: 7, 30, 90, 180, 365",
     "type_error.enum"),
    ({"days": "week"}, "days", "value is not a valid integer", "type_error.integer"),
    ({"source": "amazon"}, "source",
     "value is not a valid enumeration member; permitted: 'tcgplayer', 'cardmarket', "
     "'scryfall', 'cardtrader', 'pricecharting', 'ebay', 'ygoprodeck'", "type_error.enum"),
])
def test_price_history_bad_query_is_422(api_client: APIClient, card: Card, params: dict,
                                        loc: str, msg: str, type_: str) -> None:
    response = api_client.get(f"/api/cards/{card.pk}/price-history", params)

    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["query", loc], "msg": msg, "type": type_}]}


def test_price_history_lists_every_bad_parameter(api_client: APIClient, card: Card) -> None:
    response = api_client.get(f"/api/cards/{card.pk}/price-history",
                              {"days": "x", "source": "amazon"})
    assert [e["loc"] for e in response.json()["detail"]] == [["query", "days"],
                                                             ["query", "source"]]


def test_price_history_of_an_unknown_card_is_404(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert_json_404(api_client.get("/api/cards/999999/price-history"), "Card not found")


# --- /{tcg}/cards/{id}/prices/history ---------------------------------------------------------


def test_price_range_has_every_row_in_the_dates(api_client: APIClient, card: Card,
                                                django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(2):
        body = api_client.get(f"/pokemon/cards/{card.pk}/prices/history",
                              {"start_date": day(6), "end_date": day(1)}).json()

    assert (body["start_date"], body["end_date"], body["source"]) == (day(6), day(1), None)
    rows = [(s["date"], s["source"], s["grade"], s["condition"]) for s in body["snapshots"]]
    assert rows == [(day(6), "ebay", "psa_10", "NM"), (day(5), "cardmarket", "raw", "NM"),
                    (day(3), "tcgplayer", "raw", "NM"), (day(2), "tcgplayer", "raw", "NM"),
                    (day(1), "tcgplayer", "raw", "NM"), (day(1), "cardmarket", "raw", "NM"),
                    (day(1), "cardtrader", "raw", "LP"), (day(1), "ebay", "psa_10", "NM")]
    point = body["snapshots"][1]
    assert set(point) == {"date", "price_id", "source", "variant", "condition", "language",
                          "grade", "currency", "market_price", "low_price", "high_price",
                          "observations"}
    assert (point["market_price"], point["currency"], point["observations"]) == (70.0, "EUR", 4)


def test_price_range_defaults_to_the_last_365_days_and_filters_by_source(
        api_client: APIClient, card: Card) -> None:
    body = api_client.get(f"/pokemon/cards/{card.pk}/prices/history",
                          {"source": "tcgplayer"}).json()
    assert (body["start_date"], body["end_date"]) == (day(365), day(0))
    assert len(body["snapshots"]) == 9
    only_start = api_client.get(f"/pokemon/cards/{card.pk}/prices/history",
                                {"start_date": day(2), "source": "cardmarket"}).json()
    assert [s["date"] for s in only_start["snapshots"]] == [day(1)]


@pytest.mark.parametrize(("params", "loc", "type_"), [
    ({"start_date": "2026-02-30"}, "start_date", "type_error.date"),
    ({"end_date": "yesterday"}, "end_date", "type_error.date"),
    ({"start_date": "2026/01/01"}, "start_date", "type_error.date"),
    ({"start_date": "2026-03-02", "end_date": "2026-03-01"}, "start_date",
     "value_error.date_range"),
    ({"source": "tcg"}, "source", "type_error.enum"),
])
def test_price_range_bad_query_is_422(api_client: APIClient, card: Card, params: dict,
                                      loc: str, type_: str) -> None:
    response = api_client.get(f"/pokemon/cards/{card.pk}/prices/history", params)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["query", loc], type_)


def test_price_range_of_another_tcg_is_404(api_client: APIClient, card: Card) -> None:
    assert_json_404(api_client.get(f"/mtg/cards/{card.pk}/prices/history"), "Card not found")


# --- /{tcg}/cards/{id}/trend ------------------------------------------------------------------


def test_trend_over_a_period(api_client: APIClient, card: Card,
                             django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(3):
        body = api_client.get(f"/pokemon/cards/{card.pk}/trend", {"period": "90d"}).json()

    assert (body["period"], body["days"], body["currency"]) == ("90d", 90, "USD")
    assert body["series"]["source"] == "tcgplayer"
    assert (body["start_date"], body["end_date"]) == (day(40), day(0))
    assert (body["start_price"], body["end_price"], body["low"], body["high"]) == (
        80.0, 108.9, 80.0, 110.0)
    assert (body["change_abs"], body["change_pct"]) == (28.9, 36.13)
    assert body["trend"] == "rising"
    assert body["slope_per_day"] > 0 and body["pct_per_week"] > 1
    assert (body["data_points"], body["observations"]) == (8, 16)
    assert body["volatility"] is not None and body["reason"] is None


def test_trend_defaults_to_30d_and_is_honest_without_data(api_client: APIClient,
                                                          card: Card) -> None:
    assert api_client.get(f"/pokemon/cards/{card.pk}/trend").json()["period"] == "30d"
    unpriced = CardFactory()
    body = api_client.get(f"/pokemon/cards/{unpriced.pk}/trend", {"period": "1y"}).json()
    assert (body["series"], body["trend"], body["change_pct"], body["data_points"]) == (
        None, None, None, 0)
    assert body["reason"] == "No raw near-mint price is recorded for this card yet."
    stale = CardFactory()
    history(stale, "tcgplayer", {60: "5.00", 50: "6.00"})
    body = api_client.get(f"/pokemon/cards/{stale.pk}/trend", {"period": "7d"}).json()
    assert body["series"]["source"] == "tcgplayer"
    assert body["reason"] == "No snapshot of the reference series in the last 7 days."


def test_trend_bad_period_and_unknown_card(api_client: APIClient, card: Card) -> None:
    response = api_client.get(f"/pokemon/cards/{card.pk}/trend", {"period": "2w"})
    assert response.status_code == 422
    assert response.json()["detail"] == [{
        "loc": ["query", "period"],
        "msg": "value is not a valid enumeration member; permitted: '7d', '30d', '90d', '1y'",
        "type": "type_error.enum"}]
    mtg_card = CardFactory(card_set=CardSetFactory(tcg=tcg("mtg")))
    assert_json_404(api_client.get(f"/pokemon/cards/{mtg_card.pk}/trend"), "Card not found")
