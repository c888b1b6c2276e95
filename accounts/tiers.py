"""Subscription tiers and their limits, exactly as the contract's "Tiers & rate limits" table.

`None` means unlimited.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class TierSlug(models.TextChoices):
    FREE = "free", _("Free")
    STARTER = "starter", _("Starter")
    PRO = "pro", _("Pro")
    BUSINESS = "business", _("Business")
    UNLIMITED = "unlimited", _("Unlimited")


@dataclass(frozen=True)
class Tier:
    slug: str
    rank: int
    requests_per_day: int | None
    requests_per_minute: int | None
    max_keys: int | None
    recognitions_per_day: int | None
    price_eur_month: Decimal

    @property
    def label(self) -> str:
        return str(TierSlug(self.slug).label)


TIERS: dict[str, Tier] = {
    t.slug: t
    for t in (
        Tier("free", 0, 500, 60, 1, 0, Decimal("0")),
        Tier("starter", 1, 5_000, 120, 2, 10, Decimal("9")),
        Tier("pro", 2, 25_000, 300, 5, 100, Decimal("29")),
        Tier("business", 3, 200_000, 1_000, 10, 500, Decimal("79")),
        Tier("unlimited", 4, None, None, 25, None, Decimal("199")),
    )
}


def get_tier(slug: str) -> Tier:
    return TIERS[slug]


def tier_allows(actual: str, minimum: str) -> bool:
    return TIERS[actual].rank >= TIERS[minimum].rank
