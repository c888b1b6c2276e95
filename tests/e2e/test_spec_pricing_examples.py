"""The contract's pricing examples (Prices, Market intelligence, Predictions, Price
intelligence), run verbatim against a live server with a priced card 891."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from catalogue.models import TCG, Card, CardSet
from pricing.ingest import Quote, prices_ingest
from pricing.models import FxRate
from tests.e2e.test_spec_examples import run_curl, run_python


@pytest.fixture
def charizard(transactional_db) -> Card:  # noqa: ANN001
    pokemon, _ = TCG.objects.get_or_create(slug="pokemon", defaults={"name": "Pokémon TCG"})
    base = CardSet.objects.create(tcg=pokemon, source_id="base1", name="Base", code="BS")
    card = Card.objects.create(pk=891, tcg=pokemon, card_set=base, source_id="base1-4",
                               name="Charizard", number="4", rarity="Rare Holo",
                               variants=["holofoil"])
    FxRate.objects.create(date=timezone.now().date() - timedelta(days=1), currency="USD",
                          rate=Decimal("1.08"))
    today = timezone.now() - timedelta(minutes=5)
    for days_ago in range(40, -1, -1):
        day = today - timedelta(days=days_ago)
        step = Decimal(40 - days_ago)
        prices_ingest(source="tcgplayer", quotes=[Quote(
            ref=("card_id", 891), currency="USD", market=Decimal("800") + 2 * step,
            low=Decimal("700"), high=Decimal("2140"), variant="holofoil", observations=9,
            recorded_at=day)])
        prices_ingest(source="cardmarket", quotes=[Quote(
            ref=("card_id", 891), currency="EUR", market=Decimal("700") + step,
            low=Decimal("650"), variant="holofoil", observations=20, recorded_at=day)])
    return card


def test_prices_examples(live_server, charizard: Card, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    url = live_server.url
    data = json.loads(run_curl("curl https://collectorstashmarket.com/api/cards/891/prices",
                               url, tmp_path))
    assert {s["source"] for s in data["sources"]} == {"tcgplayer", "cardmarket"}

    run_python("""
import requests
data = requests.get("https://collectorstashmarket.com/api/cards/891/prices").json()
for s in data["sources"]:
    print(f'{s["source"]:11s} {s["market_price"]:>10.2f} {s["currency"]}')
""", url)
    assert "tcgplayer       880.00 USD" in capsys.readouterr().out


def test_market_movers_examples(live_server, charizard: Card, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    url = live_server.url
    movers = json.loads(run_curl(
        'curl "https://collectorstashmarket.com/api/market/movers?tcg=pokemon&period=30d&limit=10"',
        url, tmp_path))
    assert (movers["period"], movers["tcg"]) == ("30d", "pokemon")
    assert [c["card_id"] for c in movers["gainers"]] == [891]

    run_python("""
import requests
m = requests.get(
    "https://collectorstashmarket.com/api/market/movers",
    params={"tcg": "pokemon", "period": "30d", "limit": 10},
).json()
for c in m["gainers"]:
    print(f'{c["name"]:30s} {c["change_pct"]:+.1f}%')
""", url)
    assert capsys.readouterr().out.startswith("Charizard")


def test_predict_and_price_intelligence_examples(live_server, charizard: Card,
                                                 tmp_path: Path) -> None:
    url = live_server.url
    forecast = json.loads(run_curl(
        'curl "https://collectorstashmarket.com/api/cards/891/predict?days_ahead=60"', url,
        tmp_path))
    assert (forecast["card_id"], forecast["trend"], forecast["confidence"]) == (
        891, "rising", "high")
    ns = run_python("""
import requests
p = requests.get(
    "https://collectorstashmarket.com/api/cards/891/predict",
    params={"days_ahead": 60},
).json()
""", url)
    assert ns["p"]["predicted_price"] > ns["p"]["current_price"]

    sources = json.loads(run_curl(
        "curl https://collectorstashmarket.com/api/price-intelligence/sources", url, tmp_path))
    ns = run_python("""
import requests
sources = requests.get(
    "https://collectorstashmarket.com/api/price-intelligence/sources"
).json()
""", url)
    assert sources == ns["sources"] and sources
