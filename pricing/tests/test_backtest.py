"""Walk-forward backtest: known answers on synthetic series, and `manage.py price_backtest`."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from pricing import predictions
from pricing.tests.series_data import linear, make_series


def days(count: int, step: int = 1) -> np.ndarray:
    return date(2025, 1, 1).toordinal() + np.arange(count) * step


def test_a_perfect_line_is_forecast_without_error_and_beats_the_random_walk() -> None:
    prices = 50 + 0.25 * np.arange(200)
    errors = predictions.walk_forward(days(200), prices, horizons=[7, 30], step=7, window=60)
    for horizon in (7, 30):
        model, baseline = errors[horizon]
        assert model.size > 10 and model.size == baseline.size
        assert np.allclose(model, 0, atol=1e-9)
        assert (baseline > 0).all()
    score = predictions.HorizonScore(30)
    score.add(1, *errors[30])
    summary = score.summary()
    assert summary["ratio"] < 0.01 and summary["model_better_pct"] == 100.0


def test_on_random_walks_the_baseline_wins_or_ties() -> None:
    rng = np.random.default_rng(2026)
    score = predictions.HorizonScore(30)
    for card in range(150):
        prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 240)))
        model, baseline = predictions.walk_forward(days(240), prices, horizons=[30], step=7,
                                                   window=60)[30]
        score.add(card, model, baseline)
    summary = score.summary()
    assert summary["cards"] == 150 and summary["forecasts"] > 3000
    assert summary["ratio"] >= 1.0
    assert summary["median_ape_model"] >= summary["median_ape_baseline"]


def test_each_forecast_is_the_scikit_learn_line_through_the_window() -> None:
    rng = np.random.default_rng(3)
    day = days(120)
    prices = 20 + np.cumsum(rng.normal(0, 1, 120)) + 40
    model, baseline = predictions.walk_forward(day, prices, horizons=[10], step=7, window=30,
                                               min_train=3)[10]
    # Cuts are the first point of each 7-day block; the one at day 0 has a single point in its
    # window, so the first forecast is made at day 7 for day 17.
    cut, target = 7, 17
    window = (day > day[cut] - 30) & (day <= day[cut])
    slope, intercept = predictions.fit_line(day[window] - day[0], prices[window])
    expected = abs(intercept + slope * (day[target] - day[0]) - prices[target]) / prices[target]
    assert model[0] == pytest.approx(expected * 100, rel=1e-9)
    assert baseline[0] == pytest.approx(abs(prices[cut] - prices[target]) / prices[target] * 100)


def test_forecasts_need_a_real_point_near_the_target_date() -> None:
    day = np.concatenate([days(30), days(30)[-1] + 60 + np.arange(30)])  # a 60-day gap
    prices = np.linspace(10, 20, day.size)
    model, _baseline = predictions.walk_forward(day, prices, horizons=[7], step=7, window=30)[7]
    # Before the gap: cuts 7, 14, 21 reach 14, 21, 28; cut 28 would need day 35 (in the gap).
    # After it: cut 89 has one point in its window; 91, 98, 105 reach 98, 105, 112 and 112
    # reaches the last point, 118, within the 3-day tolerance of 119.
    assert model.size == 3 + 4


def test_predictions_are_floored_at_one_cent() -> None:
    # A steep fall then a floor: lines fitted on the fall cross zero 30 days on.
    prices = np.concatenate([np.linspace(100, 10, 40), np.full(40, 10.0)])
    model, _ = predictions.walk_forward(days(80), prices, horizons=[30], step=1, window=10,
                                        min_train=3)[30]
    assert (model < 100).all()  # an unfloored negative forecast would be off by over 100 %
    assert np.isclose(model, 99.9).any()  # forecast 0.01 against an actual 10


def test_too_short_series_give_no_forecasts() -> None:
    errors = predictions.walk_forward(days(2), np.array([1.0, 2.0]), horizons=[7], window=30)
    assert errors[7][0].size == 0
    assert predictions.HorizonScore(7).summary()["forecasts"] == 0


# --- The command ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_price_backtest_reports_per_horizon() -> None:
    rng = np.random.default_rng(11)
    straight = CardFactory(name="straight")
    make_series(straight, linear(20, 0.1, 150), primary=True)
    walker = CardFactory(name="walker")
    make_series(walker, [round(float(v), 2) for v in
                         50 * np.exp(np.cumsum(rng.normal(0, 0.03, 150)))], primary=True)
    make_series(CardFactory(name="short"), linear(5, 1, 15), primary=True)
    make_series(CardFactory(name="synthetic"), linear(5, 1, 150), primary=True, synthetic=True)

    out = io.StringIO()
    call_command("price_backtest", "--horizon", "7", "--horizon", "30", stdout=out,
                 stderr=io.StringIO())
    text = out.getvalue()
    assert "2 cards with at least 20 daily prices" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines()
            if line.strip().startswith(("7d", "30d"))}
    assert set(rows) == {"7d", "30d"}
    assert rows["7d"][1] == "2" and int(rows["7d"][2]) > 30
    assert "Synthetic price rows are left out" in text

    with_synthetic = io.StringIO()
    call_command("price_backtest", "--include-synthetic", "--min-points", "10",
                 stdout=with_synthetic, stderr=io.StringIO())
    assert "4 cards with at least 10 daily prices" in with_synthetic.getvalue()


@pytest.mark.django_db
def test_price_backtest_by_game() -> None:
    mtg_card = CardFactory(card_set=CardSetFactory(tcg=tcg("mtg")))
    make_series(mtg_card, linear(20, 0.1, 60), primary=True)
    make_series(CardFactory(), linear(20, 0.1, 60), primary=True)
    out = io.StringIO()
    call_command("price_backtest", "--tcg", "mtg", stdout=out, stderr=io.StringIO())
    assert "(mtg): 1 cards" in out.getvalue()
    with pytest.raises(CommandError, match="Unknown TCG"):
        call_command("price_backtest", "--tcg", "nope", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--step must be at least 1"):
        call_command("price_backtest", "--step", "0", stdout=io.StringIO())


@pytest.mark.django_db
def test_price_backtest_with_no_history() -> None:
    out = io.StringIO()
    call_command("price_backtest", stdout=out, stderr=io.StringIO())
    assert "0 cards" in out.getvalue() and "no forecasts" in out.getvalue()
