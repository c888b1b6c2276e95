"""Building daily price series for the prediction, Stash Score and backtest tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from catalogue.models import Card
from pricing.models import Price, PriceSnapshot

END = date(2026, 11, 1)


def money(value: float | str | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def make_series(card: Card, prices: Sequence[float | str | Decimal], *, end: date = END,
                step: int = 1, source: str = "tcgplayer", primary: bool = False,
                variant: str = "normal", condition: str = "NM", grade: str = "raw",
                currency: str = "USD", language: str = "en", observations: int = 0,
                synthetic: bool = False) -> Price:
    """A price row whose daily snapshots are `prices`, the last one on `end`, `step` days
    apart; its current market price is the last one."""
    count = len(prices)
    price = Price.objects.create(
        card=card, source=source, variant=variant, condition=condition, grade=grade,
        currency=currency, language=language,
        market_price=money(prices[-1]) if count else None, observations=observations,
        recorded_at=datetime.combine(end, time(8), tzinfo=UTC), is_primary=primary,
        is_synthetic=synthetic)
    PriceSnapshot.objects.bulk_create([
        PriceSnapshot(price=price, date=end - timedelta(days=step * (count - 1 - i)),
                      market_price=money(value))
        for i, value in enumerate(prices)])
    return price


def linear(start: float, slope: float, count: int) -> list[Decimal]:
    return [money(round(start + slope * i, 2)) for i in range(count)]
