"""Browser test: the Market Radar — movers visible, the period selector changes them, a mover
links to its card page, and the Dutch page is Dutch."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest


@pytest.fixture
def market_book(transactional_db) -> dict[str, object]:  # noqa: ANN001
    """A week riser, a month riser and a faller with their price histories. (The TCG rows come
    from a data migration that an earlier transactional test's flush removed: seed them.)"""
    from django.apps import apps
    from django.utils import timezone

    from catalogue.models import TCG, Card, CardSet
    from pricing.models import FxRate
    from pricing.tests.market_data import Series, days_before, write_series

    importlib.import_module("catalogue.migrations.0002_tcgs_and_search_indexes").seed_tcgs(
        apps, None)
    end = timezone.now().date() - timedelta(days=1)
    FxRate.objects.create(date=end, currency="USD", rate=Decimal("1.10"))
    base = CardSet.objects.create(tcg=TCG.objects.get(slug="pokemon"), source_id="base1",
                                  name="Base", code="BS", total_cards=102)

    def card(name: str, number: str) -> Card:
        return Card.objects.create(tcg=base.tcg, card_set=base, name=name, number=number,
                                   number_sort=int(number), source_id=f"base1-{number}",
                                   rarity="Rare", variants=["normal"])

    week, month, falling = card("Pikachu", "58"), card("Charizard", "4"), card("Onix", "56")
    write_series(
        Series(week, days_before(end, ["10", "10", "11", "10", "12", "13", "14", "20"])),
        Series(month, days_before(end, ["200", "400", "420"], step=15)),
        Series(falling, days_before(end, ["8", "6", "4"], step=15)),
        Series(week, [(end, "30", 3)], source="cardmarket", currency="EUR", primary=False))
    return {"week": week, "month": month, "falling": falling}


def test_movers_period_switch_card_link_and_dutch(page, market_book) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    page.goto("/en/")
    page.locator("nav.site-nav").get_by_role("link", name="Market").click()
    expect(page).to_have_url(re.compile(r"/en/market/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Market Radar")

    gainers = page.get_by_role("region", name="Top gainers")
    expect(gainers.get_by_role("link")).to_have_text(["Pikachu"])
    expect(gainers).to_contain_text("+100.0%")
    expect(page.get_by_role("region", name="Top losers")).to_contain_text(
        "No card went down over this period.")
    deals = page.get_by_role("region", name="Best deals")
    expect(deals.get_by_role("row", name=re.compile("Pikachu"))).to_contain_text("65.0%")

    # Thirty days: other cards move.
    page.get_by_label("Period").select_option("30d")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/en/market/\?tcg=all&period=30d$"))
    expect(gainers.get_by_role("link")).to_have_text(["Charizard"])
    expect(page.get_by_role("region", name="Top losers").get_by_role("link")).to_have_text(
        ["Onix"])
    expect(page.get_by_label("Period")).to_have_value("30d")

    gainers.get_by_role("link", name="Charizard").click()
    expect(page).to_have_url(re.compile(rf"/en/pokemon/cards/{market_book['month'].pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Charizard")

    page.goto("/nl/market/?period=30d")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator(".mover-list").first.get_by_role("link")).to_have_text(["Charizard"])
