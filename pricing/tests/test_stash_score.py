"""Stash Score: momentum, rarity, liquidity and source agreement, rescaling, labels, endpoint."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from pricing import stash
from pricing.models import FxRate, SourceListing
from pricing.tests.series_data import END, linear, make_series

pytestmark = pytest.mark.django_db


def momentum_points(*changes: float) -> int:
    value = 12.5 * (1 + math.tanh(sum(changes) / len(changes) / 25))
    return int(Decimal(str(value)).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def listing(card, n: int, kind: str = "listing", source: str = "cardtrader") -> None:  # noqa: ANN001
    for i in range(n):
        SourceListing.objects.create(card=card, source=source, external_id=f"{kind}-{card.pk}-{i}",
                                     kind=kind, price=Decimal("100"), currency="EUR")


@pytest.fixture
def usd_rate() -> None:
    FxRate.objects.create(date=END, currency="USD", rate=Decimal("1.10"))


@pytest.fixture
def priced_card(usd_rate):  # noqa: ANN001, ANN201
    """Rare Holo; a rising USD reference series; three sources close together; activity."""
    card = CardFactory(rarity="Rare Holo")
    make_series(card, linear(100, Decimal(20) / 90, 91), primary=True, observations=10)  # 100→120
    make_series(card, [100] * 5, source="cardmarket", currency="EUR", observations=20)
    make_series(card, [105] * 5, source="cardtrader", currency="EUR", observations=5)
    make_series(card, [400] * 5, source="ebay", grade="psa_10")  # graded: not compared
    listing(card, 3)
    listing(card, 2, kind="sold")
    return card


def test_all_four_components_make_the_score(priced_card) -> None:  # noqa: ANN001
    result = stash.card_stash_score(card=priced_card)
    parts = result.components

    momentum = parts["price_momentum"]
    assert momentum.details["change_90d"] == 20.0
    assert momentum.details["change_30d"] == pytest.approx(5.88, abs=0.01)
    assert momentum.points == momentum_points(momentum.details["change_30d"], 20.0) == 18

    assert parts["rarity"].points == 12

    liquidity = parts["liquidity"]
    assert liquidity.details == {"sources": ["cardmarket", "cardtrader", "ebay", "tcgplayer"],
                                 "observations": 35, "listings": 3, "sales": 2}
    # 4 sources = 10 points; activity 35 -> 15 × log10(36) / log10(101)
    assert liquidity.points == round(10 + 15 * math.log10(36) / math.log10(101)) == 22

    agreement = parts["source_agreement"]
    eur = {p["source"]: p["price_eur"] for p in agreement.details["prices"]}
    assert eur == {"cardmarket": Decimal("100.00"), "cardtrader": Decimal("105.00"),
                   "tcgplayer": Decimal("109.09")}
    assert agreement.details["spread_pct"] == pytest.approx(8.66, abs=0.01)
    assert agreement.points == 23  # 25 × (1 − 0.0866)

    assert result.score == 18 + 12 + 22 + 23 == 75
    assert result.label == "Strong hold" and result.reason is None


def test_missing_components_are_null_with_a_reason_and_the_rest_rescaled() -> None:
    card = CardFactory(rarity="Rare Holo")
    make_series(card, [10], primary=True)  # one point: no momentum; one source: no agreement
    result = stash.card_stash_score(card=card)
    parts = result.components
    assert parts["price_momentum"].points is None
    assert parts["price_momentum"].reason == "not enough price history"
    assert parts["source_agreement"].points is None
    assert "fewer than two sources" in parts["source_agreement"].reason
    assert parts["liquidity"].points == 3  # one source of four (2.5, half up), no activity
    assert result.score == (12 + 3) * 4 // 2 == 30
    assert result.label == "Consider selling"


def test_fewer_than_two_components_give_no_score() -> None:
    card = CardFactory(rarity="Rare Holo")  # no prices at all: rarity alone
    result = stash.card_stash_score(card=card)
    assert result.score is None and result.label is None
    assert result.reason == "a score needs at least two components with data"
    assert result.components["liquidity"].reason == "no prices, listings or sales for this card"


@pytest.mark.parametrize(("slug", "rarity", "points"), [
    ("pokemon", "Common", 2), ("pokemon", "Special Illustration Rare", 24),
    ("mtg", "Mythic", 19), ("mtg", "Uncommon", 6), ("yugioh", "Ur", 14),
    ("yugioh", "Starlight Rare", 25), ("onepiece", "SEC", 21), ("lorcana", "Enchanted", 23),
    ("fab", "Fabled", 25), ("starwars", "Legendary", 16), ("keyforge", "Rare", 9),
])
def test_rarity_comes_from_the_games_table(slug: str, rarity: str, points: int) -> None:
    card = CardFactory(card_set=CardSetFactory(tcg=tcg(slug)), rarity=rarity)
    assert stash.rarity_component(card).points == points


@pytest.mark.parametrize(("rarity", "reason"), [
    ("", "the catalogue has no rarity for this card"),
    ("Challenge24", "the rarity Challenge24 is not rated for this game"),
])
def test_an_unrated_rarity_is_null_not_guessed(rarity: str, reason: str) -> None:
    card = CardFactory(card_set=CardSetFactory(tcg=tcg("lorcana")), rarity=rarity)
    component = stash.rarity_component(card)
    assert (component.points, component.reason) == (None, reason)


def test_every_rarity_in_the_tables_is_within_0_to_25() -> None:
    values = [v for table in stash.RARITY_POINTS.values() for v in table.values()]
    assert all(0 <= v <= 25 for v in [*values, *stash.GENERIC_RARITY_POINTS.values()])


def test_momentum_saturates_and_flat_is_the_middle() -> None:
    card = CardFactory()
    rocket = make_series(card, linear(10, 1, 91), primary=True)  # +900 % over 90 days
    series = stash.card_reference_series(card_id=card.pk)
    assert stash.momentum_component(series).points == 25
    rocket.delete()
    make_series(card, linear(100, -1, 91), primary=True)  # −90 %
    assert stash.momentum_component(stash.card_reference_series(card_id=card.pk)).points == 0

    flat = CardFactory()
    make_series(flat, [40] * 91, primary=True)
    assert stash.momentum_component(stash.card_reference_series(card_id=flat.pk)).points == 13


def test_momentum_uses_the_30_day_change_when_90_days_are_missing() -> None:
    card = CardFactory()
    make_series(card, linear(100, 1, 41), primary=True)  # 100 … 140 over 40 days
    component = stash.momentum_component(stash.card_reference_series(card_id=card.pk))
    assert component.details["change_90d"] is None
    assert component.details["change_30d"] == pytest.approx(100 * 30 / 110, abs=0.01)
    assert component.points == momentum_points(component.details["change_30d"])


def test_momentum_needs_a_price_about_30_days_back() -> None:
    card = CardFactory()
    make_series(card, linear(100, 1, 10), primary=True)
    component = stash.momentum_component(stash.card_reference_series(card_id=card.pk))
    assert component.points is None
    assert component.reason == "no price from about 30 days before the latest one"


def test_agreement_compares_the_finish_most_sources_price(usd_rate) -> None:  # noqa: ANN001
    card = CardFactory()
    make_series(card, [10] * 3, variant="holofoil", primary=True)
    make_series(card, [50] * 3, variant="reverse_holofoil")
    make_series(card, [55] * 3, source="cardmarket", variant="reverse_holofoil", currency="EUR")
    make_series(card, [9] * 3, source="cardtrader", variant="holofoil", condition="LP",
                currency="EUR")
    component = stash.agreement_component(stash.Price.objects.filter(card=card).values(
        "id", "source", "variant", "condition", "grade", "currency", "market_price",
        "observations", "recorded_at"), stash.card_reference_series(card_id=card.pk))
    assert component.details["variant"] == "reverse_holofoil"
    assert [p["source"] for p in component.details["prices"]] == ["cardmarket", "tcgplayer"]
    # 50 USD = 45.45 EUR against 55 EUR: spread 9.55 / 50.225
    assert component.details["spread_pct"] == pytest.approx(19.01, abs=0.01)
    assert component.points == 20


def test_agreement_without_an_fx_rate_is_null() -> None:
    card = CardFactory()
    make_series(card, [10] * 3, primary=True)
    make_series(card, [8] * 3, source="cardmarket", currency="EUR")
    result = stash.card_stash_score(card=card)
    agreement = result.components["source_agreement"]
    assert agreement.points is None
    assert agreement.reason == "no FX rate for USD"


def test_wide_disagreement_scores_zero(usd_rate) -> None:  # noqa: ANN001
    card = CardFactory()
    make_series(card, [10] * 3, source="cardmarket", currency="EUR", primary=True)
    make_series(card, [40] * 3, source="cardtrader", currency="EUR")
    result = stash.card_stash_score(card=card)
    assert result.components["source_agreement"].details["spread_pct"] == 120.0
    assert result.components["source_agreement"].points == 0


@pytest.mark.parametrize(("score", "label"), [
    (100, "Strong hold"), (75, "Strong hold"), (74, "Hold"), (55, "Hold"), (54, "Watch"),
    (35, "Watch"), (34, "Consider selling"), (0, "Consider selling")])
def test_labels(score: int, label: str) -> None:
    assert stash.label_for(score) == label


# --- Endpoint ----------------------------------------------------------------------------------


def test_stash_score_endpoint(api_client: APIClient, priced_card,  # noqa: ANN001
                              django_assert_max_num_queries) -> None:  # noqa: ANN001
    with django_assert_max_num_queries(7):
        response = api_client.get(f"/api/cards/{priced_card.pk}/stash-score")
    assert response.status_code == 200
    body = response.json()
    assert body["card_id"] == priced_card.pk
    assert body["score"] == 75 and body["label"] == "Strong hold"
    assert body["components"] == {"price_momentum": 18, "rarity": 12, "liquidity": 22,
                                  "source_agreement": 23}
    assert body["components_used"] == 4 and body["reason"] is None
    details = body["details"]
    assert details["rarity"] == {"rarity": "Rare Holo", "reason": None}
    assert details["source_agreement"]["currency"] == "EUR"
    assert details["source_agreement"]["prices"][0] == {
        "source": "cardmarket", "market_price": 100.0, "currency": "EUR", "price_eur": 100.0}
    assert details["price_momentum"]["change_90d"] == 20.0
    assert details["price_momentum"]["as_of"] == END.isoformat()


def test_stash_score_of_an_unscorable_card(api_client: APIClient) -> None:
    card = CardFactory(rarity="")
    body = api_client.get(f"/api/cards/{card.pk}/stash-score/").json()
    assert body["score"] is None and body["label"] is None
    assert body["components"] == dict.fromkeys(stash.COMPONENTS)
    assert body["components_used"] == 0
    assert body["details"]["rarity"]["reason"] == "the catalogue has no rarity for this card"


def test_stash_score_for_an_unknown_card_is_404(api_client: APIClient) -> None:
    response = api_client.get("/api/cards/987654321/stash-score")
    assert response.status_code == 404
    assert response.json() == {"detail": "Card not found"}


def test_the_latest_fx_rate_converts(usd_rate) -> None:  # noqa: ANN001
    FxRate.objects.create(date=END - timedelta(days=30), currency="USD", rate=Decimal("2"))
    card = CardFactory()
    make_series(card, [110] * 3, primary=True)
    make_series(card, [100] * 3, source="cardmarket", currency="EUR")
    agreement = stash.card_stash_score(card=card).components["source_agreement"]
    assert agreement.details["spread_pct"] == 0.0 and agreement.points == 25
