"""The predictor: reference series choice, least-squares forecast, confidence, trend, floor,
and the market-wide trending list computed for every card at once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.cache import cache
from django.db import connection

from catalogue.tests.factories import CardFactory, SealedProductFactory
from pricing import predictions
from pricing.models import Price, PriceSnapshot
from pricing.tasks import predictions_refresh
from pricing.tests.series_data import END, linear, make_series

pytestmark = pytest.mark.django_db


def test_a_perfect_line_is_extrapolated_exactly() -> None:
    card = CardFactory()
    make_series(card, linear(10, 1, 21), primary=True)  # 10 … 30, one a day

    result = predictions.card_forecast(card=card, days_ahead=30, today=END)

    assert result.reason is None
    assert (result.current_price, result.predicted_price) == (Decimal("30.00"),
                                                              Decimal("60.00"))
    assert result.predicted_change_pct == 100.0
    assert result.slope_per_day == 1.0
    assert (result.trend, result.confidence, result.data_points) == ("rising", "high", 21)
    assert result.as_of == END and result.window_days == 60
    assert result.future_points == [
        (END + timedelta(days=7), Decimal("37.00")), (END + timedelta(days=14), Decimal("44.00")),
        (END + timedelta(days=21), Decimal("51.00")), (END + timedelta(days=28), Decimal("58.00")),
        (END + timedelta(days=30), Decimal("60.00"))]
    assert (result.source, result.currency, result.notes) == ("tcgplayer", "USD", [])


def test_future_points_are_weekly_and_end_on_the_horizon() -> None:
    assert predictions.future_days(7) == [7]
    assert predictions.future_days(10) == [7, 10]
    assert predictions.future_days(28) == [7, 14, 21, 28]
    assert len(predictions.future_days(365)) == 53
    assert predictions.future_days(365)[-1] == 365


@pytest.mark.parametrize(("points", "confidence"), [
    (3, "low"), (9, "low"), (10, "medium"), (19, "medium"), (20, "high"), (45, "high")])
def test_confidence_follows_the_number_of_points(points: int, confidence: str) -> None:
    card = CardFactory()
    make_series(card, linear(50, 0.5, points), primary=True)
    result = predictions.card_forecast(card=card, days_ahead=30, today=END)
    assert (result.data_points, result.confidence) == (points, confidence)


@pytest.mark.parametrize(("move_pct", "trend"), [
    (1.8, "stable"), (-1.8, "stable"), (2.2, "rising"), (-2.2, "falling"), (0, "stable")])
def test_trend_is_the_fitted_move_over_30_days_against_the_mean(move_pct: float,
                                                                trend: str) -> None:
    card = CardFactory()
    slope = move_pct / 30  # per day on a mean of 100
    make_series(card, [100 + slope * (i - 20) for i in range(41)], primary=True)
    result = predictions.card_forecast(card=card, days_ahead=30, today=END)
    assert result.trend == trend


def test_fewer_than_three_points_give_nulls_and_a_reason() -> None:
    card = CardFactory()
    make_series(card, [12, 13], primary=True)
    result = predictions.card_forecast(card=card, days_ahead=30, today=END)
    assert result.data_points == 2
    assert result.current_price == Decimal("13.00")
    assert (result.predicted_price, result.predicted_change_pct, result.confidence,
            result.trend, result.slope_per_day, result.future_points) == (
        None, None, None, None, None, [])
    assert "not enough price history" in result.reason

    bare = predictions.card_forecast(card=CardFactory(), days_ahead=30, today=END)
    assert (bare.data_points, bare.current_price, bare.source) == (0, None, None)
    assert "not enough price history" in bare.reason


def test_the_window_is_twice_the_horizon_within_30_and_365_days() -> None:
    assert [predictions.window_for(d) for d in (7, 15, 30, 100, 182, 200, 365)] == [
        30, 30, 60, 200, 364, 365, 365]
    card = CardFactory()
    make_series(card, linear(20, 0.1, 400), primary=True)
    counts = {days: predictions.card_forecast(card=card, days_ahead=days, today=END).data_points
              for days in (7, 30, 100, 365)}
    assert counts == {7: 30, 30: 60, 100: 200, 365: 365}


def test_old_points_outside_the_window_do_not_count() -> None:
    card = CardFactory()
    price = make_series(card, [5, 5, 5], primary=True)
    PriceSnapshot.objects.create(price=price, date=END - timedelta(days=200),
                                 market_price=Decimal("500"))
    result = predictions.card_forecast(card=card, days_ahead=30, today=END)
    assert result.data_points == 3
    assert result.predicted_price == Decimal("5.00")


def test_a_falling_line_is_floored_at_one_cent_and_says_so() -> None:
    card = CardFactory()
    make_series(card, linear(100, -10, 10), primary=True)  # 100 … 10
    result = predictions.card_forecast(card=card, days_ahead=30, today=END)
    assert result.predicted_price == Decimal("0.01")
    assert all(price >= Decimal("0.01") for _day, price in result.future_points)
    assert result.future_points[-1][1] == Decimal("0.01")
    assert result.predicted_change_pct == -99.9
    assert result.trend == "falling"
    assert any("floored" in note for note in result.notes)


def test_a_stale_series_counts_from_its_latest_point_and_says_so() -> None:
    card = CardFactory()
    make_series(card, linear(10, 1, 21), primary=True)
    result = predictions.card_forecast(card=card, days_ahead=30, today=END + timedelta(days=90))
    assert result.future_points[-1][0] == END + timedelta(days=30)
    assert result.predicted_price == Decimal("60.00")
    assert any(END.isoformat() in note for note in result.notes)


# --- Which series ----------------------------------------------------------------------------


def test_the_primary_row_is_the_reference_series() -> None:
    card = CardFactory()
    make_series(card, linear(10, 1, 20), source="tcgplayer", primary=True)
    make_series(card, linear(50, -1, 30), source="cardmarket", currency="EUR")
    series = predictions.card_reference_series(card_id=card.pk)
    assert (series.source, len(series.dates)) == ("tcgplayer", 20)


def test_pricecharting_wins_when_it_has_at_least_as_many_points() -> None:
    card = CardFactory()
    make_series(card, linear(10, 1, 20), source="tcgplayer", primary=True)
    pricecharting = make_series(card, linear(40, 1, 20), source="pricecharting")
    assert predictions.card_reference_series(card_id=card.pk).price_id == pricecharting.pk

    PriceSnapshot.objects.filter(price=pricecharting).order_by("date").first().delete()
    assert predictions.card_reference_series(card_id=card.pk).source == "tcgplayer"


def test_without_a_primary_row_the_raw_nm_row_with_most_points_is_used() -> None:
    card = CardFactory()
    make_series(card, linear(10, 1, 12), source="tcgplayer")
    cardmarket = make_series(card, linear(9, 1, 15), source="cardmarket", currency="EUR")
    make_series(card, linear(300, 1, 40), source="ebay", grade="psa_10")
    make_series(card, linear(8, 1, 40), source="cardtrader", condition="LP", currency="EUR")
    series = predictions.card_reference_series(card_id=card.pk)
    assert series.price_id == cardmarket.pk


def test_graded_rows_and_sealed_products_are_never_a_card_series() -> None:
    card = CardFactory()
    make_series(card, linear(300, 1, 40), source="ebay", grade="psa_10")
    sealed = Price.objects.create(sealed_product=SealedProductFactory(), source="tcgplayer",
                                  currency="USD", market_price=Decimal("100"))
    PriceSnapshot.objects.create(price=sealed, date=END, market_price=Decimal("100"))
    assert predictions.card_reference_series(card_id=card.pk) is None
    assert predictions.trending_compute()["cards_considered"] == 0


# --- The model ---------------------------------------------------------------------------------


def test_closed_form_lines_equal_scikit_learn() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        size = int(rng.integers(3, 200))
        x = np.sort(rng.choice(np.arange(-400, 1), size=size, replace=False)).astype(float)
        y = rng.uniform(1, 500, size)
        slope, intercept = predictions.fit_line(x, y)
        sums = [np.array([v]) for v in (size, x.sum(), y.sum(), (x * x).sum(), (x * y).sum())]
        slopes, intercepts = predictions.fit_lines(*sums)
        assert slopes[0] == pytest.approx(slope, rel=1e-9, abs=1e-9)
        assert intercepts[0] == pytest.approx(intercept, rel=1e-9, abs=1e-9)


# --- Trending predictions ------------------------------------------------------------------


@pytest.fixture
def market() -> dict[str, object]:
    """Rising, falling, flat and too-short series, plus one card where PriceCharting wins."""
    cards = {name: CardFactory(name=name) for name in
             ("steady", "rocket", "falling", "flat", "short", "charting", "noisy")}
    make_series(cards["steady"], linear(100, 0.5, 40), primary=True)
    make_series(cards["rocket"], linear(10, 0.4, 25), primary=True)
    make_series(cards["falling"], linear(80, -0.5, 30), primary=True)
    make_series(cards["flat"], [20] * 30, primary=True)
    make_series(cards["short"], [5, 9], primary=True)
    make_series(cards["charting"], [30] * 30, primary=True)
    make_series(cards["charting"], linear(30, 0.3, 30), source="pricecharting")
    make_series(cards["noisy"], [50, 55, 48, 60, 52, 63, 51, 66, 54, 70, 58], step=3,
                primary=True, source="cardmarket", currency="EUR")
    return cards


def test_trending_lists_rising_cards_by_predicted_change(market: dict,
                                                         django_assert_max_num_queries) -> None:  # noqa: ANN001
    # Two statements; PostgreSQL adds a savepoint and `SET LOCAL jit = off`.
    with django_assert_max_num_queries(2 if connection.vendor == "sqlite" else 5):
        payload = predictions.trending_compute()
    names = [item["card_name"] for item in payload["items"]]
    assert names == ["rocket", "noisy", "charting", "steady"]
    assert payload["total"] == 4
    assert payload["cards_considered"] == 6  # "short" has two points
    assert (payload["days_ahead"], payload["window_days"]) == (30, 60)
    pcts = [item["predicted_change_pct"] for item in payload["items"]]
    assert pcts == sorted(pcts, reverse=True)
    assert payload["items"][2]["source"] == "pricecharting"
    assert payload["items"][1]["currency"] == "EUR"


def test_trending_figures_equal_the_card_forecast(market: dict) -> None:
    payload = predictions.trending_compute()
    assert payload["items"]
    for item in payload["items"]:
        card = market[item["card_name"]]
        single = predictions.card_forecast(card=card, days_ahead=30, today=END)
        assert (item["current_price"], item["predicted_price"], item["predicted_change_pct"],
                item["data_points"], item["confidence"], item["trend"], item["source"],
                item["currency"], item["as_of"]) == (
            single.current_price, single.predicted_price, single.predicted_change_pct,
            single.data_points, single.confidence, single.trend, single.source,
            single.currency, single.as_of)
        assert item["slope_per_day"] == pytest.approx(single.slope_per_day, abs=1e-4)
        assert (item["set_name"], item["tcg_slug"]) == (card.card_set.name, "pokemon")


def test_trending_keeps_only_the_best(market: dict) -> None:
    payload = predictions.trending_compute(keep=2)
    assert [item["card_name"] for item in payload["items"]] == ["rocket", "noisy"]
    assert payload["total"] == 4


def test_trending_with_no_prices_is_empty() -> None:
    payload = predictions.trending_compute()
    assert (payload["items"], payload["total"], payload["cards_considered"]) == ([], 0, 0)


def test_the_task_replaces_the_cached_list(market: dict) -> None:
    cache.delete(predictions.TRENDING_CACHE_KEY)
    first = predictions.trending_predictions()  # cold cache: computed and stored
    assert len(first["items"]) == 4
    late = CardFactory(name="late riser")
    make_series(late, linear(1, 1, 10), primary=True)
    assert predictions.trending_predictions()["total"] == 4  # the cached list until refreshed

    assert predictions_refresh.delay().get() == 5
    cached = predictions.trending_predictions()
    assert cached["items"][0]["card_name"] == "late riser"
