"""`GET /api/cards/{id}/predict` and `GET /api/market/trending-predictions`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue.tests.factories import CardFactory
from pricing import predictions
from pricing.tests.series_data import linear, make_series

pytestmark = pytest.mark.django_db

PREDICT_KEYS = {"card_id", "card_name", "current_price", "predicted_price",
                "predicted_change_pct", "confidence", "data_points", "trend", "slope_per_day",
                "future_points", "days_ahead", "as_of", "source", "variant", "currency",
                "window_days", "reason", "notes"}


@pytest.fixture
def today():  # noqa: ANN201
    return timezone.now().date()


def test_predict_answers_the_contract_shape(api_client: APIClient, today,  # noqa: ANN001
                                            django_assert_max_num_queries) -> None:  # noqa: ANN001
    card = CardFactory(name="Charizard")
    make_series(card, linear(800, 2, 12), end=today, primary=True)  # 800 … 822
    with django_assert_max_num_queries(2):
        response = api_client.get(f"/api/cards/{card.pk}/predict", {"days_ahead": 60})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PREDICT_KEYS
    assert body["card_id"] == card.pk and body["card_name"] == "Charizard"
    assert body["current_price"] == 822.0  # a JSON number, not a string
    assert body["predicted_price"] == 942.0
    assert body["predicted_change_pct"] == 14.6
    assert (body["confidence"], body["data_points"], body["trend"]) == ("medium", 12, "rising")
    assert body["slope_per_day"] == 2.0
    assert body["days_ahead"] == 60 and body["window_days"] == 120
    assert body["future_points"][0] == {"date": (today + timedelta(days=7)).isoformat(),
                                        "price": 836.0}
    assert body["future_points"][-1] == {"date": (today + timedelta(days=60)).isoformat(),
                                         "price": 942.0}
    assert len(body["future_points"]) == 9
    assert (body["reason"], body["notes"], body["as_of"]) == (None, [], today.isoformat())


def test_predict_defaults_to_30_days(api_client: APIClient, today) -> None:  # noqa: ANN001
    card = CardFactory()
    make_series(card, linear(10, 1, 5), end=today, primary=True)
    body = api_client.get(f"/api/cards/{card.pk}/predict/").json()
    assert body["days_ahead"] == 30
    assert body["future_points"][-1]["date"] == (today + timedelta(days=30)).isoformat()
    assert body["confidence"] == "low"


def test_a_card_without_history_is_200_with_nulls_and_a_reason(api_client: APIClient) -> None:
    card = CardFactory()
    response = api_client.get(f"/api/cards/{card.pk}/predict")
    assert response.status_code == 200
    body = response.json()
    assert body["data_points"] == 0
    assert body["predicted_price"] is None and body["current_price"] is None
    assert body["future_points"] == [] and body["confidence"] is None
    assert body["reason"].startswith("not enough price history")


@pytest.mark.parametrize(("value", "msg", "type_"), [
    ("6", "ensure this value is greater than or equal to 7", "value_error.number.not_ge"),
    ("366", "ensure this value is less than or equal to 365", "value_error.number.not_le"),
    ("soon", "value is not a valid integer", "type_error.integer"),
])
def test_days_ahead_outside_7_to_365_is_422(api_client: APIClient, value: str, msg: str,
                                            type_: str) -> None:
    card = CardFactory()
    response = api_client.get(f"/api/cards/{card.pk}/predict", {"days_ahead": value})
    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["query", "days_ahead"], "msg": msg,
                                           "type": type_}]}


def test_predict_for_an_unknown_card_is_404(api_client: APIClient) -> None:
    response = api_client.get("/api/cards/987654321/predict")
    assert response.status_code == 404
    assert response.json() == {"detail": "Card not found"}


# --- Trending predictions ------------------------------------------------------------------


@pytest.fixture
def risers(today) -> list:  # noqa: ANN001
    cards = []
    for i in range(12):
        card = CardFactory(name=f"Riser {i}")
        make_series(card, linear(100, 0.2 * (i + 1), 20), end=today, primary=True)
        cards.append(card)
    faller = CardFactory(name="Faller")
    make_series(faller, linear(100, -1, 20), end=today, primary=True)
    return cards


def test_trending_predictions_default_to_ten_best(api_client: APIClient, risers: list) -> None:
    cache.delete(predictions.TRENDING_CACHE_KEY)
    response = api_client.get("/api/market/trending-predictions")
    assert response.status_code == 200
    body = response.json()
    assert [item["card_name"] for item in body["items"]] == [f"Riser {i}"
                                                               for i in range(11, 1, -1)]
    assert (body["total"], body["limit"], body["days_ahead"], body["cards_considered"]) == (
        12, 10, 30, 13)
    item = body["items"][0]
    assert set(item) == {"card_id", "card_name", "set_name", "tcg_slug", "current_price",
                         "predicted_price", "predicted_change_pct", "confidence", "data_points",
                         "trend", "slope_per_day", "currency", "source", "as_of"}
    assert item["trend"] == "rising" and item["confidence"] == "high"
    assert isinstance(item["current_price"], float)


def test_trending_predictions_from_a_warm_cache_touch_no_table(
        api_client: APIClient, risers: list, django_assert_max_num_queries) -> None:  # noqa: ANN001
    predictions.trending_refresh()
    with django_assert_max_num_queries(0):
        body = api_client.get("/api/market/trending-predictions", {"limit": 3}).json()
    assert [item["card_name"] for item in body["items"]] == ["Riser 11", "Riser 10", "Riser 9"]


@pytest.mark.parametrize("limit", ["0", "51", "x"])
def test_trending_limit_outside_1_to_50_is_422(api_client: APIClient, limit: str) -> None:
    response = api_client.get("/api/market/trending-predictions", {"limit": limit})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_trending_with_no_prices_is_an_empty_list(api_client: APIClient) -> None:
    cache.delete(predictions.TRENDING_CACHE_KEY)
    body = api_client.get("/api/market/trending-predictions").json()
    assert (body["items"], body["total"], body["cards_considered"]) == ([], 0, 0)


def test_the_endpoints_are_documented(api_client: APIClient) -> None:
    paths = {path.rstrip("/"): ops for path, ops in
             api_client.get("/api/schema/", {"format": "json"}).json()["paths"].items()}
    predict = paths["/api/cards/{card_id}/predict"]["get"]
    assert {"200", "404", "422"} <= set(predict["responses"])
    assert any(p["name"] == "days_ahead" for p in predict["parameters"])
    trending = paths["/api/market/trending-predictions"]["get"]
    assert {"200", "422"} <= set(trending["responses"])
    assert "200" in paths["/api/cards/{card_id}/stash-score"]["get"]["responses"]
