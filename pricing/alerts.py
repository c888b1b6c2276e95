"""Price alerts: create, check against new prices, digest. Being written (issue 4)."""

from __future__ import annotations


def alerts_check(*, card_ids: set[int]) -> None:
    return None
