"""Staff can browse every pricing model in the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from catalogue.tests.factories import CardFactory
from pricing.ingest import Quote, prices_ingest
from pricing.models import FxRate, Price, PriceAlert, ScrapeRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["price", "sourcelisting", "fxrate",
                                   "scraperun", "pricealert"])
def test_admin_lists_and_opens_pricing_models(admin_client, admin_user, model: str) -> None:  # noqa: ANN001
    card = CardFactory()
    prices_ingest(source="tcgplayer",
                  quotes=[Quote(ref=("card_id", card.pk), currency="USD", market=Decimal("9"))])
    FxRate.objects.create(date="2026-11-20", currency="USD", rate=Decimal("1.05"))
    ScrapeRun.objects.create(source="tcgplayer", progress=40)
    PriceAlert.objects.create(user=admin_user, card=card, target_price=Decimal("5"))

    listing = admin_client.get(reverse(f"admin:pricing_{model}_changelist"))
    assert listing.status_code == 200
    obj = listing.context["cl"].result_list[0] if listing.context["cl"].result_list else None
    if obj is not None:
        change = admin_client.get(reverse(f"admin:pricing_{model}_change", args=[obj.pk]))
        assert change.status_code == 200


def test_price_page_shows_its_latest_snapshots(admin_client) -> None:  # noqa: ANN001
    card = CardFactory()
    prices_ingest(source="tcgplayer",
                  quotes=[Quote(ref=("card_id", card.pk), currency="USD",
                                market=Decimal("9.25"), low=Decimal("8.10"))])
    price = Price.objects.get(card=card)

    page = admin_client.get(reverse("admin:pricing_price_change", args=[price.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Latest daily snapshots" in html
    assert f"<td>{price.snapshots.get().date}</td><td>9.25</td><td>8.10</td>" in html
