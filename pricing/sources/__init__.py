"""Price source adapters, by source name. Each module defines one SourceAdapter subclass."""

from __future__ import annotations

from django.utils.module_loading import import_string

from pricing.sources.base import SourceAdapter

# source name -> adapter class path
ADAPTERS: dict[str, str] = {
    "tcgplayer": "pricing.sources.tcgplayer.TcgplayerAdapter",
    "cardmarket": "pricing.sources.cardmarket.CardmarketAdapter",
    "scryfall": "pricing.sources.scryfall.ScryfallAdapter",
    "ygoprodeck": "pricing.sources.ygoprodeck.YgoprodeckAdapter",
    "cardtrader": "pricing.sources.cardtrader.CardtraderAdapter",
    "pricecharting": "pricing.sources.pricecharting.PricechartingAdapter",
    "ebay": "pricing.sources.ebay.EbayAdapter",
}


def register(source: str, path: str) -> None:
    ADAPTERS[source] = path


def adapter_class(source: str) -> type[SourceAdapter]:
    try:
        return import_string(ADAPTERS[source])
    except KeyError:
        raise ValueError(f"unknown price source {source!r}; known: "
                         f"{', '.join(sorted(ADAPTERS))}") from None
