"""Card and sealed summaries from the price book (best_price, price_change_7d, reference
series). Being written (issue 4)."""

from __future__ import annotations


def price_summaries_refresh(*, card_ids: set[int], sealed_ids: set[int]) -> None:
    return None
