"""Browser test: the card page's price chart (per source, period switch) in real Chromium."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest


@pytest.fixture
def priced_card(transactional_db) -> object:  # noqa: ANN001
    """Base Set Charizard with 120 days of TCGplayer history and two weeks of Cardmarket."""
    from django.apps import apps
    from django.utils import timezone

    from catalogue.models import TCG, Card, CardSet
    from pricing.ingest import Quote, prices_ingest
    from pricing.summaries import price_summaries_refresh

    # The TCG rows come from a data migration that an earlier transactional test's flush
    # removed; seed them the way the migration does.
    importlib.import_module("catalogue.migrations.0002_tcgs_and_search_indexes").seed_tcgs(
        apps, None)
    pokemon = TCG.objects.get(slug="pokemon")
    base = CardSet.objects.create(tcg=pokemon, source_id="base1", name="Base", code="BS",
                                  series="Base", release_date=date(1999, 1, 9),
                                  total_cards=102, printed_total=102)
    card = Card.objects.create(tcg=pokemon, card_set=base, name="Charizard", number="4",
                               number_sort=4, rarity="Rare Holo", source_id="base1-4",
                               variants=["holofoil"], card_type="Pokémon")
    today = timezone.now().date()

    def quotes(prices: dict[int, str], **kw: object) -> list[Quote]:
        return [Quote(ref=("card_id", card.pk), market=Decimal(market),
                      recorded_at=min(datetime.combine(today - timedelta(days=ago), time(12),
                                                       tzinfo=UTC), timezone.now()), **kw)
                for ago, market in sorted(prices.items(), reverse=True)]

    tcgplayer = {120: "300", 100: "320", 80: "310", 60: "340", 45: "360", 20: "350",
                 10: "370", 5: "365", 2: "380", 0: "390"}
    for quote in quotes(tcgplayer, currency="USD", variant="holofoil"):
        prices_ingest(source="tcgplayer", quotes=[quote])
    for quote in quotes({14: "300", 11: "305", 9: "310"}, currency="EUR"):
        prices_ingest(source="cardmarket", quotes=[quote])
    price_summaries_refresh(card_ids={card.pk}, sealed_ids=set())
    return card


def test_chart_draws_a_line_per_source_and_switches_period(page, priced_card) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    history_requests: list[str] = []
    page.on("request", lambda request: history_requests.append(request.url)
            if "/price-history" in request.url else None)

    page.goto(f"/en/pokemon/cards/{priced_card.pk}/")

    prices = page.get_by_role("region", name="Prices")
    chart = prices.locator("figure.price-chart")
    expect(chart).to_be_visible()
    expect(chart.get_by_role("button", name="90 days")).to_have_attribute("aria-pressed", "true")
    series = chart.locator("svg g.series")
    expect(series).to_have_count(2)
    expect(chart.locator('g.series[data-source="tcgplayer"] polyline')).to_have_count(1)
    expect(chart.locator('g.series[data-source="cardmarket"] polyline')).to_have_count(1)
    # 90 days: the TCGplayer points from 80 days ago on (8 of 10), Cardmarket's 3
    expect(chart.locator('g.series[data-source="tcgplayer"] circle')).to_have_count(8)
    legend = chart.locator("ul.price-chart-legend li")
    expect(legend).to_have_text(["TCGplayer · Holofoil (USD)", "Cardmarket · Normal (EUR)"])
    assert history_requests[-1].endswith("?days=90")

    # A longer period fetches again and draws the older points too.
    with page.expect_response(re.compile(r"/price-history\?days=365$")):
        chart.get_by_role("button", name="365 days").click()
    expect(chart.get_by_role("button", name="365 days")).to_have_attribute("aria-pressed",
                                                                          "true")
    expect(chart.get_by_role("button", name="90 days")).to_have_attribute("aria-pressed",
                                                                         "false")
    expect(chart.locator('g.series[data-source="tcgplayer"] circle')).to_have_count(10)

    # The last week has only TCGplayer prices: one line left.
    with page.expect_response(re.compile(r"/price-history\?days=7$")):
        chart.get_by_role("button", name="7 days").click()
    expect(series).to_have_count(1)
    expect(legend).to_have_text(["TCGplayer · Holofoil (USD)"])
    assert [url.rsplit("=", 1)[1] for url in history_requests] == ["90", "365", "7"]

    # The table of current prices is there for everyone, with its dates.
    table = prices.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(3)  # header + TCGplayer + Cardmarket
    expect(table).to_contain_text("390.00 USD")
    expect(table).to_contain_text("310.00 EUR")


def test_dutch_card_page_has_the_chart_with_dutch_labels(page, priced_card) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page.goto(f"/nl/pokemon/cards/{priced_card.pk}/")

    expect(page.locator("html")).to_have_attribute("lang", "nl")
    prices = page.get_by_role("region", name="Prijzen")
    expect(prices).to_contain_text("Beste marktprijs")
    chart = prices.locator("figure.price-chart")
    expect(chart.locator("svg g.series")).to_have_count(2)
    expect(chart.locator("svg")).to_have_attribute("aria-label", re.compile("TCGplayer"))
    # Numbers on the axis follow the page's language: a decimal comma in Dutch.
    axis = chart.locator("svg g.grid text")
    expect(axis.first).to_be_visible()
    with page.expect_response(re.compile(r"/price-history\?days=30$")):
        chart.locator('button[data-days="30"]').click()
    expect(chart.locator('button[data-days="30"]')).to_have_attribute("aria-pressed", "true")


def test_without_javascript_the_price_table_stands_alone(page, priced_card,  # noqa: ANN001
                                                         live_server) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    context = page.context.browser.new_context(java_script_enabled=False,
                                               base_url=live_server.url, locale="en-GB")
    try:
        plain = context.new_page()
        plain.goto(f"/en/pokemon/cards/{priced_card.pk}/")
        prices = plain.get_by_role("region", name="Prices")
        expect(prices.get_by_role("table")).to_contain_text("390.00 USD")
        expect(prices.locator("figure.price-chart")).to_be_hidden()
    finally:
        context.close()
