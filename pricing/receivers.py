"""Reactions to new prices (pricing.ingest.prices_changed fires after commit).

Order matters: card summaries first (best_price, price_change_7d, the reference series),
then alerts, then the market caches (movers read the reference series).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from pricing.ingest import prices_changed


@receiver(prices_changed, dispatch_uid="pricing.prices_changed")
def on_prices_changed(sender: Any, card_ids: set[int], sealed_ids: set[int], source: str,
                      **kwargs: Any) -> None:
    from pricing.alerts import alerts_check
    from pricing.market import market_caches_refresh
    from pricing.summaries import price_summaries_refresh

    price_summaries_refresh(card_ids=card_ids, sealed_ids=sealed_ids)
    alerts_check(card_ids=card_ids)
    market_caches_refresh()
