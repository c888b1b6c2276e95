"""Browser test: log in → alerts page → find a card → create an alert → see it → delete it, in
real Chromium (Debian's) through Playwright."""

from __future__ import annotations

import importlib
import re
from decimal import Decimal

import pytest


@pytest.fixture
def charizard(transactional_db) -> object:  # noqa: ANN001
    """A priced card. The TCG rows come from a data migration that an earlier transactional
    test's flush removed; seed them again the way the migration does."""
    from django.apps import apps
    from django.utils import timezone

    from catalogue.tests.factories import CardFactory, CardSetFactory
    from pricing.ingest import Quote, prices_ingest

    migration = importlib.import_module("catalogue.migrations.0002_tcgs_and_search_indexes")
    migration.seed_tcgs(apps, None)
    card = CardFactory(name="Charizard", number="4", card_set=CardSetFactory(name="Base"))
    prices_ingest(source="cardmarket", quotes=[Quote(
        ref=("card_id", card.pk), currency="EUR", market=Decimal("812.00"),
        recorded_at=timezone.now())])
    return card


def test_log_in_create_an_alert_see_it_and_delete_it(page, charizard) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
    from pricing.models import PriceAlert

    user = UserFactory(username="alertfan")

    # The alerts page needs a login and comes back after it.
    page.goto("/en/alerts/")
    expect(page).to_have_url(re.compile(r"/en/accounts/login/"))
    page.fill("#id_login", "alertfan")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.locator("form.stack-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/en/alerts/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Price alerts")
    expect(page.get_by_text("You have no price alerts yet.")).to_be_visible()

    # Find the card and pick it.
    page.get_by_label("Find a card").fill("charizard")
    page.get_by_role("button", name="Search", exact=True).last.click()
    page.get_by_role("link", name="Alert me about Charizard (Base #4)").click()
    expect(page.get_by_text("Card: Charizard (Base #4)")).to_be_visible()

    # Create: below €750.
    page.get_by_label("Tell me when the price is").select_option("below")
    page.get_by_label("Target price").fill("750")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_role("button", name="Create alert").click()
    expect(page.get_by_text("Alert set: Charizard below €750.00.")).to_be_visible()

    # It is listed with its target and the price it compares now.
    row = page.locator("table.alert-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Charizard")
    expect(row).to_contain_text("below €750.00")
    expect(row).to_contain_text("€812.00")
    expect(row).to_contain_text("active")
    alert = PriceAlert.objects.get(user=user)
    assert (alert.target_price, alert.condition, alert.currency) == (Decimal("750.00"), "below",
                                                                     "EUR")

    # Delete it.
    row.get_by_role("button", name="Delete Charizard").click()
    expect(page.get_by_text("The alert has been deleted.")).to_be_visible()
    expect(page.locator("table.alert-table")).to_have_count(0)
    expect(page.get_by_text("You have no price alerts yet.")).to_be_visible()
    assert not PriceAlert.objects.filter(user=user).exists()
