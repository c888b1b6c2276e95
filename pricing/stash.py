"""Stash Score: a 0–100 "should I keep this card?" signal from four components of 0–25 each.

- price_momentum: the reference series' change over 30 and 90 days (each against the latest
  price on or before that day, at most half the period earlier), averaged and squashed:
  12.5 × (1 + tanh(change % / 25)) — flat = 12.5, +25 % ≈ 22, −25 % ≈ 3, saturating.
- rarity: the card's printed rarity on a per-game table (RARITY_POINTS, then the generic
  names every game shares); a rarity the table does not rate is null, never guessed.
- liquidity: 10 points for the number of sources pricing the card (4 or more = full) and 15
  for market activity — the larger of the price rows' observations and the stored listings
  plus sales — on a log scale (100 or more = full).
- source_agreement: current raw NM market prices of one finish (the finish most sources
  price), one figure per source, converted to EUR with the ECB rates; spread =
  (highest − lowest) / median; 25 × (1 − spread), 0 from a 100 % spread.

A component without data is null with a reason. The score rescales the components that have
data to 0–100 (sum × 4 / count); with fewer than two it is null with a reason.
Labels: ≥ 75 Strong hold, 55–74 Hold, 35–54 Watch, < 35 Consider selling.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from catalogue.models import Card
from pricing.fx import convert
from pricing.models import RAW, Condition, Price, SourceListing
from pricing.predictions import Series, card_reference_series

COMPONENT_MAX = 25
COMPONENTS = ("price_momentum", "rarity", "liquidity", "source_agreement")
MIN_COMPONENTS = 2
MOMENTUM_PERIODS = (30, 90)
MOMENTUM_SCALE_PCT = 25.0
LIQUIDITY_FULL_SOURCES = 4
LIQUIDITY_FULL_ACTIVITY = 100
AGREEMENT_CURRENCY = "EUR"

# Printed rarity (lower case, as the importers store it) -> points out of 25. The steps follow
# each game's pull rates: commons ~2, uncommons ~5, rares ~9–12, the chase tiers 20–25.
RARITY_POINTS: dict[str, dict[str, int]] = {
    "pokemon": {
        "common": 2, "uncommon": 5, "rare": 9, "promo": 8, "rare holo": 12,
        "classic collection": 14, "rare break": 14, "rare prism star": 14, "double rare": 14,
        "rare holo v": 15, "rare prime": 15, "rare ace": 15, "ace spec rare": 15,
        "radiant rare": 15, "rare holo ex": 16, "rare holo gx": 16, "amazing rare": 16,
        "trainer gallery rare holo": 16, "rare holo vmax": 17, "rare holo vstar": 17,
        "rare holo lv.x": 17, "legend": 17, "rare ultra": 17, "ultra rare": 17,
        "rare shiny": 17, "shiny rare": 17, "illustration rare": 19, "rare shiny gx": 19,
        "shiny ultra rare": 19, "rare shining": 20, "rare rainbow": 21, "rare secret": 22,
        "rare holo star": 22, "hyper rare": 23, "special illustration rare": 24,
    },
    "mtg": {"common": 2, "uncommon": 6, "rare": 12, "mythic": 19, "special": 20, "bonus": 20},
    "yugioh": {
        "common": 2, "n": 2, "short print": 4, "rare": 7, "r": 7, "starfoil rare": 8,
        "mosaic rare": 8, "shatterfoil rare": 8, "super rare": 10, "sr": 10, "gold rare": 13,
        "ultra rare": 14, "ur": 14, "premium gold rare": 15, "gold secret rare": 16,
        "ultra parallel rare": 16, "secret rare": 18, "prismatic secret rare": 19,
        "ultimate rare": 20, "platinum secret rare": 20, "collector's rare": 21,
        "quarter century secret rare": 22, "ghost rare": 23, "starlight rare": 25,
    },
    "onepiece": {"c": 2, "uc": 5, "p": 8, "r": 9, "l": 11, "sr": 14, "tr": 18, "sec": 21,
                 "sp card": 22},
    "lorcana": {"common": 2, "uncommon": 5, "rare": 9, "special": 12, "super rare": 13,
                "legendary": 17, "epic": 19, "enchanted": 23, "iconic": 25},
    "fab": {"token": 1, "basic": 1, "common": 2, "rare": 8, "promo": 8, "super rare": 12,
            "majestic": 14, "legendary": 20, "marvel": 22, "fabled": 25},
    "starwars": {"common": 2, "uncommon": 5, "rare": 10, "special": 12, "legendary": 16},
    "digimon": {"c": 2, "u": 5, "p": 8, "r": 9, "sr": 14, "sec": 21},
    "dragonball": {"c": 2, "uc": 5, "p": 8, "r": 9, "sr": 14, "spr": 19, "scr": 21},
    "grandarc": {"c": 2, "u": 5, "r": 9, "sr": 14, "ur": 18, "csr": 21, "cur": 23},
}
# Names that mean the same in every game (used when the game's table lacks the name).
GENERIC_RARITY_POINTS: dict[str, int] = {
    "common": 2, "uncommon": 5, "rare": 9, "promo": 8, "super rare": 13, "ultra rare": 17,
    "secret rare": 21, "legendary": 17, "epic": 19, "mythic": 19,
}


@dataclass(frozen=True)
class Component:
    points: int | None
    details: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


@dataclass(frozen=True)
class StashScore:
    card_id: int
    score: int | None
    components: dict[str, Component]
    label: str | None
    reason: str | None


def _points(value: float) -> int:
    clamped = min(max(value, 0.0), float(COMPONENT_MAX))
    return int(Decimal(repr(clamped)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def label_for(score: int) -> str:
    if score >= 75:
        return _("Strong hold")
    if score >= 55:
        return _("Hold")
    return _("Watch") if score >= 35 else _("Consider selling")


# --- Components ------------------------------------------------------------------------------


def momentum_component(series: Series | None) -> Component:
    if series is None or len(series.dates) < 2:
        details = {"change_30d": None, "change_90d": None, "as_of": series.as_of if series
                   else None, "source": series.source if series else None,
                   "currency": series.currency if series else None,
                   "data_points": len(series.dates) if series else 0}
        return Component(None, details, _("not enough price history"))
    as_of, last = series.dates[-1], series.prices[-1]
    changes: dict[str, float | None] = {}
    for days in MOMENTUM_PERIODS:
        target = as_of - timedelta(days=days)
        i = bisect_right(series.dates, target) - 1
        if i >= 0 and series.dates[i] >= target - timedelta(days=days // 2):
            changes[f"change_{days}d"] = round(float((last - series.prices[i])
                                                     / series.prices[i] * 100), 2)
        else:
            changes[f"change_{days}d"] = None
    details = {**changes, "as_of": as_of, "source": series.source, "currency": series.currency,
               "data_points": len(series.dates)}
    known = [value for value in changes.values() if value is not None]
    if not known:
        return Component(None, details,
                         _("no price from about 30 days before the latest one"))
    mean = sum(known) / len(known)
    return Component(_points(COMPONENT_MAX / 2 * (1 + math.tanh(mean / MOMENTUM_SCALE_PCT))),
                     details)


def rarity_component(card: Card) -> Component:
    rarity = (card.rarity or "").strip()
    details = {"rarity": rarity or None}
    if not rarity:
        return Component(None, details, _("the catalogue has no rarity for this card"))
    key = rarity.lower()
    points = RARITY_POINTS.get(card.tcg.slug, {}).get(key, GENERIC_RARITY_POINTS.get(key))
    if points is None:
        return Component(None, details,
                         _("the rarity %(rarity)s is not rated for this game")
                         % {"rarity": rarity})
    return Component(points, details)


def liquidity_component(prices: list[dict[str, Any]],
                        listings: dict[str, int]) -> Component:
    sources = sorted({p["source"] for p in prices if p["market_price"] is not None})
    observations = sum(p["observations"] for p in prices)
    on_sale, sold = listings.get(SourceListing.Kind.LISTING, 0), listings.get(
        SourceListing.Kind.SOLD, 0)
    activity = max(observations, on_sale + sold)
    details = {"sources": sources, "observations": observations, "listings": on_sale,
               "sales": sold}
    if not sources and not on_sale + sold:
        return Component(None, details, _("no prices, listings or sales for this card"))
    breadth = 10 * min(len(sources), LIQUIDITY_FULL_SOURCES) / LIQUIDITY_FULL_SOURCES
    depth = 15 * min(1.0, math.log10(1 + activity) / math.log10(1 + LIQUIDITY_FULL_ACTIVITY))
    return Component(_points(breadth + depth), details)


def agreement_component(prices: list[dict[str, Any]], reference: Series | None) -> Component:
    by_finish: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in prices:
        if (row["grade"] != RAW or row["condition"] != Condition.NM
                or row["market_price"] is None):
            continue
        best = by_finish[row["variant"]].get(row["source"])
        if best is None or _row_rank(row) > _row_rank(best):
            by_finish[row["variant"]][row["source"]] = row
    if not by_finish:
        return Component(None, {"currency": AGREEMENT_CURRENCY, "variant": None, "prices": [],
                                "spread_pct": None},
                         _("fewer than two sources price this card (raw, NM)"))
    ref_variant = reference.variant if reference else None
    variant = min(by_finish, key=lambda v: (-len(by_finish[v]), v != ref_variant,
                                             v != "normal", v))
    compared, no_rate = [], []
    for source, row in sorted(by_finish[variant].items()):
        value = convert(row["market_price"], row["currency"], AGREEMENT_CURRENCY)
        if value is None:
            no_rate.append(row["currency"])
            continue
        compared.append({"source": source, "market_price": row["market_price"],
                         "currency": row["currency"], "price_eur": value})
    details: dict[str, Any] = {"currency": AGREEMENT_CURRENCY, "variant": variant,
                               "prices": compared, "spread_pct": None}
    if len(compared) < 2:
        if no_rate and len(by_finish[variant]) >= 2:
            return Component(None, details, _("no FX rate for %(currencies)s")
                             % {"currencies": ", ".join(sorted(set(no_rate)))})
        return Component(None, details, _("fewer than two sources price this card (raw, NM)"))
    values = [c["price_eur"] for c in compared]
    spread = (max(values) - min(values)) / Decimal(statistics.median(values))
    details["spread_pct"] = round(float(spread * 100), 2)
    return Component(_points(COMPONENT_MAX * (1 - min(float(spread), 1.0))), details)


def _row_rank(row: dict[str, Any]) -> tuple:
    """Which of a source's rows for one finish speaks for it: most observations, latest."""
    return (row["observations"], row["recorded_at"], -row["id"])


# --- The score -------------------------------------------------------------------------------


def card_stash_score(*, card: Card) -> StashScore:
    """Four queries plus FX look-ups (cached): price rows, reference series, listing counts."""
    prices = list(Price.objects.filter(card=card).values(
        "id", "source", "variant", "condition", "grade", "currency", "market_price",
        "observations", "recorded_at"))
    reference = card_reference_series(card_id=card.pk) if prices else None
    listings = {row["kind"]: row["n"] for row in SourceListing.objects.filter(card=card)
                .order_by().values("kind").annotate(n=Count("id"))}
    components = {
        "price_momentum": momentum_component(reference),
        "rarity": rarity_component(card),
        "liquidity": liquidity_component(prices, listings),
        "source_agreement": agreement_component(prices, reference),
    }
    known = [c.points for c in components.values() if c.points is not None]
    if len(known) < MIN_COMPONENTS:
        return StashScore(card.pk, None, components, None,
                          _("a score needs at least two components with data"))
    score = int((Decimal(sum(known) * len(COMPONENTS)) / len(known)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP))
    return StashScore(card.pk, score, components, label_for(score), None)
