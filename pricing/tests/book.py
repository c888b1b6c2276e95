"""Test helpers: write price rows and their daily history through the real ingest."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from catalogue.models import Card, SealedProduct
from pricing.ingest import Quote, prices_ingest


def at(days_ago: int) -> datetime:
    """Noon UTC `days_ago` days before today (never in the future)."""
    day = timezone.now().date() - timedelta(days=days_ago)
    return min(datetime.combine(day, time(12), tzinfo=UTC), timezone.now())


def put(item: Card | SealedProduct, source: str, market: str, *, days_ago: int = 0,
        **kw: object) -> None:
    """One accepted price (and that day's snapshot) for a card or sealed product."""
    kind = "card_id" if isinstance(item, Card) else "sealed_id"
    result = prices_ingest(source=source, quotes=[Quote(
        ref=(kind, item.pk), currency=kw.pop("currency", "USD"), market=Decimal(market),
        recorded_at=at(days_ago), **kw)])
    assert result.written == 1, result.errors


def history(item: Card | SealedProduct, source: str, prices: dict[int, str],
            **kw: object) -> None:
    """prices: {days_ago: market}, written oldest first."""
    for days_ago, market in sorted(prices.items(), reverse=True):
        put(item, source, market, days_ago=days_ago, **kw)
