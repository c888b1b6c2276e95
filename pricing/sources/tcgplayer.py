"""TCGplayer prices as pokemontcg.io v2 card objects carry them.

A card object's `tcgplayer` block:

    "tcgplayer": {"url": "https://prices.pokemontcg.io/tcgplayer/base1-4",
                  "updatedAt": "2024/11/20",
                  "prices": {"holofoil": {"low": 300.0, "mid": 447.5, "high": 1249.99,
                                          "market": 446.45, "directLow": null}, …}}

Each `prices` key is a printing (normal, holofoil, reverseHolofoil, 1stEditionHolofoil,
1stEditionNormal, unlimitedHolofoil), named here like the catalogue names card variants
(snake case: reverse_holofoil, 1st_edition_holofoil, …). One USD quote per printing:
market = TCGplayer's market price (recent sales), low/mid/high = its listing figures;
`directLow` is not kept. A printing without a market price has no price (no sales), and
is skipped rather than filled from the listing midpoint. The quote is dated by
`updatedAt` (midnight UTC of that day).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pricing.ingest import Quote, money
from pricing.sources.pokemontcg import (
    PokemontcgPricesAdapter,
    card_id,
    price_block,
    tcgplayer_variant,
)
from pricing.sources.support import RecordError, source_day

SOURCE = "tcgplayer"


def parse_card(obj: Any) -> list[Quote]:
    """One pokemontcg.io card object -> its TCGplayer quotes (pure)."""
    ref = ("pokemontcg_id", card_id(obj))
    block = price_block(obj, "tcgplayer")
    if block is None:
        return []
    prices, updated = block
    recorded_at = source_day(updated)
    quotes: list[Quote] = []
    for key, figures in prices.items():
        if figures is None:
            continue
        if not isinstance(figures, dict):
            raise RecordError(f"tcgplayer.prices.{key} is not an object")
        market = money(figures.get("market"))
        if market is None:
            continue
        quotes.append(Quote(
            ref=ref, currency="USD", market=market, low=money(figures.get("low")),
            mid=money(figures.get("mid")), high=money(figures.get("high")),
            variant=tcgplayer_variant(key), recorded_at=recorded_at))
    return quotes


class TcgplayerAdapter(PokemontcgPricesAdapter):
    source = SOURCE
    fields: ClassVar[tuple[str, ...]] = ("id", "tcgplayer")

    def parse_card(self, obj: Any) -> list[Quote]:
        return parse_card(obj)
