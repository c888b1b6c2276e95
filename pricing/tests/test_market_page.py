"""The Market Radar page (server-rendered from the market caches)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from pricing import market
from pricing.models import FxRate
from pricing.tests.market_data import Series, days_before, write_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT="text/html")


@pytest.fixture
def cards() -> dict[str, object]:
    end = timezone.now().date() - timedelta(days=1)
    FxRate.objects.create(date=end, currency="USD", rate=Decimal("1.10"))
    base = CardSetFactory(tcg=tcg("pokemon"), name="Base")
    alpha = CardSetFactory(tcg=tcg("mtg"), name="Alpha")
    week_up = CardFactory(card_set=base, name="Weekly Riser")
    month_up = CardFactory(card_set=alpha, name="Monthly Riser")
    faller = CardFactory(card_set=base, name="Steady Faller")
    write_series(
        Series(week_up, days_before(end, ["10", "10", "10", "10", "10", "12", "13", "20"])),
        Series(month_up, days_before(end, ["10", "30", "30"], step=15)),
        Series(faller, days_before(end, ["40", "35", "30"], step=15)),
        Series(week_up, [(end, "30", 2)], source="cardmarket", currency="EUR", primary=False))
    return {"week_up": week_up, "month_up": month_up, "faller": faller}


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_radar_shows_stats_movers_deals_and_links(client, cards) -> None:  # noqa: ANN001
    response = client.get("/en/market/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Market Radar</h1>" in html
    assert "Cards tracked" in html and "Active sources" in html
    gainers = section(html, "gainers-heading")
    assert "Weekly Riser" in gainers and "Monthly Riser" not in gainers
    assert "+100.0%" in gainers
    card_url = reverse("catalogue:card", kwargs={"tcg_slug": "pokemon",
                                                 "card_id": cards["week_up"].pk})
    assert f'href="{card_url}"' in gainers
    assert "Weekly Riser" in section(html, "volatile-heading")
    deals = section(html, "deals-heading")
    assert "Weekly Riser" in deals and "Cardmarket" in deals and "$33.00" in deals
    assert "65.0%" in deals  # 20 USD vs 30 EUR = 33 USD


def test_period_and_game_selectors(client, cards) -> None:  # noqa: ANN001
    month = client.get("/en/market/", {"period": "30d"}).content.decode()
    gainers = section(month, "gainers-heading")
    assert "Monthly Riser" in gainers and "Weekly Riser" not in gainers
    assert "Steady Faller" in section(month, "losers-heading")
    assert '<option value="30d" selected>' in month

    mtg = client.get("/en/market/", {"period": "30d", "tcg": "mtg"}).content.decode()
    assert "Steady Faller" not in mtg and "Monthly Riser" in section(mtg, "gainers-heading")


def test_a_tampered_query_shows_the_defaults(client, cards) -> None:  # noqa: ANN001
    response = client.get("/en/market/", {"period": "1y", "tcg": "<script>"})

    assert response.status_code == 200
    assert "Weekly Riser" in section(response.content.decode(), "gainers-heading")


def test_empty_book_is_an_honest_empty_state(client) -> None:  # noqa: ANN001
    html = client.get("/en/market/").content.decode()

    assert "No price data yet." in html
    assert 'id="gainers-heading"' not in html


def test_dutch_page(client, cards) -> None:  # noqa: ANN001
    response = client.get("/nl/market/")

    assert response.status_code == 200
    assert '<html lang="nl">' in response.content.decode()


def test_warm_page_reads_the_cache(client, cards, django_assert_max_num_queries) -> None:  # noqa: ANN001
    market.market_caches_warm_all()
    client.get("/en/market/")

    with django_assert_max_num_queries(1):  # the game list for the selector
        assert client.get("/en/market/", {"period": "90d", "tcg": "pokemon"}).status_code == 200
