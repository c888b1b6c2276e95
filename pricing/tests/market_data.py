"""Price histories for the market tests, written through the ingest's bulk upsert (the same path
every source takes), one call per day in date order as a daily scrape would."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from catalogue.models import Card
from pricing.ingest import PriceRow, price_rows_upsert
from pricing.models import Price


@dataclass(frozen=True)
class Series:
    card: Card
    points: list[tuple[date, Decimal | str | float, int]]  # (day, market price, observations)
    source: str = "tcgplayer"
    currency: str = "USD"
    variant: str = "normal"
    condition: str = "NM"
    grade: str = "raw"
    language: str = "en"
    primary: bool = True


def days_before(end: date, prices: list[float | str], *, step: int = 1,
                observations: int | list[int] = 3) -> list[tuple[date, Decimal, int]]:
    """`prices` as consecutive points ending on `end`, `step` days apart."""
    count = len(prices)
    obs = observations if isinstance(observations, list) else [observations] * count
    return [(end - timedelta(days=step * (count - 1 - i)), Decimal(str(price)), obs[i])
            for i, price in enumerate(prices)]


def write_series(*series: Series) -> list[Price]:
    """Upsert every point (a day at a time, oldest first) and flag the reference series the
    way pricing.summaries maintains it (`is_primary`)."""
    by_day: dict[date, list[PriceRow]] = defaultdict(list)
    for s in series:
        for day, price, observations in s.points:
            by_day[day].append(PriceRow(
                card_id=s.card.pk, sealed_id=None, source=s.source, variant=s.variant,
                condition=s.condition, language=s.language, grade=s.grade,
                currency=s.currency, market=Decimal(str(price)), low=None, mid=None,
                high=None, observations=observations,
                recorded_at=datetime.combine(day, time(12), tzinfo=UTC)))
    for day in sorted(by_day):
        price_rows_upsert(by_day[day], notify=False)
    prices = []
    for s in series:
        price = Price.objects.get(card=s.card, source=s.source, variant=s.variant,
                                  condition=s.condition, language=s.language, grade=s.grade,
                                  currency=s.currency)
        if s.primary:
            Price.objects.filter(card=s.card).exclude(pk=price.pk).update(is_primary=False)
            Price.objects.filter(pk=price.pk).update(is_primary=True)
        prices.append(price)
    return prices
