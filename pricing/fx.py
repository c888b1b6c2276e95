"""Currency conversion through the ECB reference rates (1 EUR = rate × currency).

A conversion uses the latest rate on or before the given day; with no rate known for a
currency the answer is None (callers report "no FX rate", never guess a figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache

from pricing.models import FxRate

CENT = Decimal("0.01")
_CACHE_SECONDS = 300


@dataclass(frozen=True)
class Rate:
    from_currency: str
    to_currency: str
    rate: Decimal  # 1 from_currency = rate to_currency
    date: date | None  # the ECB reference day (None for the identity)


def _per_euro(currency: str, on: date | None) -> tuple[Decimal, date | None] | None:
    if currency == "EUR":
        return Decimal(1), None
    generation = cache.get("pricing:fx:generation", 0)
    key = f"pricing:fx:{generation}:{currency}:{on or 'latest'}"
    hit = cache.get(key)
    if hit is not None:
        return hit or None
    rows = FxRate.objects.filter(currency=currency)
    if on is not None:
        rows = rows.filter(date__lte=on)
    row = rows.order_by("-date").values_list("rate", "date").first()
    cache.set(key, row or (), _CACHE_SECONDS)
    return row


def fx_rate(from_currency: str, to_currency: str, *, on: date | None = None) -> Rate | None:
    from_currency, to_currency = from_currency.upper(), to_currency.upper()
    if from_currency == to_currency:
        return Rate(from_currency, to_currency, Decimal(1), None)
    source = _per_euro(from_currency, on)
    target = _per_euro(to_currency, on)
    if source is None or target is None:
        return None
    days = [d for d in (source[1], target[1]) if d is not None]
    return Rate(from_currency, to_currency, (target[0] / source[0]).quantize(Decimal("1e-8")),
                min(days) if days else None)


def convert(amount: Decimal | None, from_currency: str, to_currency: str, *,
            on: date | None = None) -> Decimal | None:
    if amount is None:
        return None
    rate = fx_rate(from_currency, to_currency, on=on)
    if rate is None:
        return None
    return (Decimal(amount) * rate.rate).quantize(CENT, rounding=ROUND_HALF_UP)


class Converter:
    """`convert` with each currency pair's rate looked up once: a job or a request converts
    many amounts in a few currencies. Same rates and rounding as `convert`."""

    def __init__(self, *, on: date | None = None) -> None:
        self.on = on
        self._rates: dict[tuple[str, str], Rate | None] = {}

    def __call__(self, amount: Decimal | None, from_currency: str, to_currency: str
                 ) -> Decimal | None:
        if amount is None:
            return None
        pair = (from_currency, to_currency)
        if pair not in self._rates:
            self._rates[pair] = fx_rate(from_currency, to_currency, on=self.on)
        rate = self._rates[pair]
        if rate is None:
            return None
        return (Decimal(amount) * rate.rate).quantize(CENT, rounding=ROUND_HALF_UP)


def fx_cache_clear() -> None:
    """Call after storing new rates: later lookups use a new cache generation."""
    try:
        cache.incr("pricing:fx:generation")
    except ValueError:
        cache.set("pricing:fx:generation", 1, None)
