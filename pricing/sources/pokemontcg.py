"""pokemontcg.io API v2 card objects as a price source (TCGplayer and Cardmarket blocks).

Both the TCGplayer and the Cardmarket adapter read the same card objects: one paged
`GET /cards?q=set.id:<set>&select=…` per set, through the catalogue importer's paging
helper. Only the fields a price needs are selected, so a set is one or two small pages.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings

from catalogue.importers.pokemontcg import _paged, price_variant_name
from csm.http import SourceError
from pricing.ingest import Quote
from pricing.sources.base import Progress, ScrapeBatch, SourceAdapter
from pricing.sources.support import (
    RecordError,
    load_json_payload,
    quotes_from_records,
    source_client,
)

API_KEY_HEADER = "X-Api-Key"
# pokemontcg.io allows 30 requests a minute without a key (1,000 a day), 20,000 a day with
# one; a full scrape is one or two requests per set (~170).
ANONYMOUS_INTERVAL = 2.0
KEYED_INTERVAL = 0.2


def catalogue_set_ids() -> list[str]:
    """pokemontcg.io ids of the real (non-synthetic) Pokémon sets in our catalogue."""
    from catalogue.models import CardSet

    ids = CardSet.objects.filter(tcg__slug="pokemon", is_synthetic=False,
                                 external_ids__has_key="pokemontcg_id") \
        .values_list("external_ids__pokemontcg_id", flat=True)
    return sorted({str(value) for value in ids if isinstance(value, str) and value})


def card_objects_from_file(path: str) -> list[Any]:
    """A saved payload: one API page (`{"data": [...]}`) or a list of card objects (the
    pokemon-tcg-data layout, `cards/en/<set>.json`)."""
    payload = load_json_payload(path)
    if isinstance(payload, dict):
        payload = payload.get("data")
    if not isinstance(payload, list):
        raise SourceError(f"{path} holds no list of pokemontcg.io card objects")
    return payload


def card_id(obj: Any) -> str:
    if not isinstance(obj, dict):
        raise RecordError(f"card is {type(obj).__name__}, not an object")
    value = obj.get("id")
    if not isinstance(value, str) or not value.strip() or len(value) > 32:
        raise RecordError("card object without a valid id")
    return value.strip()


def price_block(obj: dict[str, Any], name: str) -> tuple[dict[str, Any], Any] | None:
    """(prices, updatedAt) of a card's `tcgplayer` / `cardmarket` block; None without one."""
    block = obj.get(name)
    if block is None:
        return None
    if not isinstance(block, dict):
        raise RecordError(f"{name} is {type(block).__name__}, not an object")
    prices = block.get("prices")
    if prices is None:
        return None
    if not isinstance(prices, dict):
        raise RecordError(f"{name}.prices is {type(prices).__name__}, not an object")
    return prices, block.get("updatedAt")


def tcgplayer_variant(key: str) -> str:
    """A `tcgplayer.prices` key as our variant: reverseHolofoil -> reverse_holofoil."""
    variant = price_variant_name(key)
    if not key.isalnum() or len(variant) > 32:
        raise RecordError(f"tcgplayer price key {key[:40]!r} is not a variant name")
    return variant


class PokemontcgPricesAdapter(SourceAdapter):
    """Reads card objects of the selected sets (option `set_ids`, default: every Pokémon
    set in the catalogue) or of a saved payload (option `file`) and hands each to
    `parse_card`."""

    fields: ClassVar[tuple[str, ...]] = ("id",)

    def parse_card(self, obj: Any) -> list[Quote]:
        raise NotImplementedError

    def card_objects(self, progress: Progress | None) -> list[Any]:
        if self.options.get("file"):
            return card_objects_from_file(self.options["file"])
        set_ids = list(self.options.get("set_ids") or catalogue_set_ids())
        key = settings.POKEMONTCG_API_KEY
        client = source_client(self.options, base_url=settings.PRICING_POKEMONTCG_URL,
                               min_interval=KEYED_INTERVAL if key else ANONYMOUS_INTERVAL,
                               headers={API_KEY_HEADER: key} if key else None)
        select = ",".join(self.fields)
        cards: list[Any] = []
        for done, set_id in enumerate(set_ids, start=1):
            cards.extend(_paged(client, f"cards?q=set.id:{set_id}&select={select}"))
            if progress is not None:
                progress(done, len(set_ids) + 1)
        return cards

    def scrape(self, *, progress: Progress | None = None) -> ScrapeBatch:
        batch = ScrapeBatch()
        cards = self.card_objects(progress)
        quotes_from_records(batch, cards, self.parse_card, what="card")
        if progress is not None:
            progress(1, 1)
        return batch
