"""Pricing reports its totals to /api/stats and /api/health through the counts registry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogue.tests.factories import CardFactory
from csm.selectors import platform_counts_forget
from pricing.ingest import Quote, prices_ingest
from pricing.models import PriceAlert

pytestmark = pytest.mark.django_db


def test_stats_count_real_prices_and_active_alerts(api_client, user) -> None:  # noqa: ANN001
    card = CardFactory()
    prices_ingest(source="tcgplayer", quotes=[
        Quote(ref=("card_id", card.pk), currency="USD", market=Decimal("5"), variant=variant)
        for variant in ("normal", "holofoil")])
    PriceAlert.objects.create(user=user, card=card, target_price=Decimal("4"))
    PriceAlert.objects.create(user=user, card=card, target_price=Decimal("9"), is_active=False)
    platform_counts_forget()

    stats = api_client.get("/api/stats").json()

    assert (stats["prices"], stats["active_alerts"]) == (2, 1)
    assert api_client.get("/api/health").json()["prices"] == 2
