"""Cardmarket prices (EUR) from two real inputs.

(a) pokemontcg.io v2 card objects, block `cardmarket`:

    "cardmarket": {"url": "https://prices.pokemontcg.io/cardmarket/base1-4",
                   "updatedAt": "2024/11/20",
                   "prices": {"averageSellPrice": 402.5, "lowPrice": 150.0,
                              "trendPrice": 389.1, "reverseHoloSell": 0, "reverseHoloLow": 0,
                              "reverseHoloTrend": 0, "lowPriceExPlus": 199.0,
                              "avg1": 420.0, "avg7": 395.4, "avg30": 377.9, …}}

    Matched by ("pokemontcg_id", card id).

(b) Cardmarket's own daily price guide export, `price_guide_<idGame>.json`:

    {"version": 1, "createdAt": "2024-11-20T02:50:12+0100",
     "priceGuides": [{"idProduct": 1234, "idCategory": 1, "avg": 1.5, "low": 0.2,
                      "trend": 1.4, "avg1": 1.0, "avg7": 1.3, "avg30": 1.6,
                      "avg-foil": 4.0, "low-foil": 2.5, "trend-foil": 3.9, …}]}

    Matched by ("cardmarket_product_id", idProduct), or ("sealed_cardmarket_product_id",
    idProduct) for products our catalogue holds as sealed. The Pokémon guide names its
    foil family `-holo` (trend-holo, low-holo …): on Cardmarket a Pokémon card's foil
    attribute is the reverse holo.

Figures used: market = the trend price, low = the lowest offer. Why trend and not the
average sell price: the trend is Cardmarket's own smoothed estimate of what the product
sells for now (it is the price Cardmarket shows for a product); `averageSellPrice`/`avg`
is the raw mean of the last day's sales, which swings with the mix of conditions sold and
is missing on days without sales, and avg1/avg7/avg30 are fixed windows that lag. A zero or
missing figure means "no price" (Cardmarket writes 0 where it has no sales).

Variants: the non-foil figures belong to the card's base printing — for pokemontcg.io
objects the printing TCGplayer lists first among normal / holofoil / unlimited holofoil (a
holo rare's base product on Cardmarket is the holo card), `normal` otherwise; reverse-holo
figures -> reverse_holofoil; price-guide `-foil` figures -> foil (Magic and others, as
MTGJSON and Scryfall name the finish), `-holo` -> reverse_holofoil.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar

from django.conf import settings

from csm.http import SourceError
from pricing.ingest import Quote, money
from pricing.sources.base import Progress, ScrapeBatch
from pricing.sources.pokemontcg import (
    PokemontcgPricesAdapter,
    card_id,
    card_objects_from_file,
    price_block,
    tcgplayer_variant,
)
from pricing.sources.support import (
    RecordError,
    load_json_payload,
    quotes_from_records,
    source_client,
    source_day,
    source_time,
)

SOURCE = "cardmarket"
INPUTS = ("pokemontcg", "price_guide")
# pokemontcg.io field prefix -> variant of the figures
CARD_FAMILIES = {"": None, "reverseHolo": "reverse_holofoil"}
# TCGplayer printings that are a card's base (non-reverse) printing, in order of preference
BASE_PRINTINGS = ("normal", "holofoil", "unlimited_holofoil", "unlimited")
# price guide field suffix -> variant
GUIDE_FAMILIES = {"": "normal", "-foil": "foil", "-holo": "reverse_holofoil"}


def base_variant(obj: dict[str, Any]) -> str:
    block = obj.get("tcgplayer")
    prices = block.get("prices") if isinstance(block, dict) else None
    if isinstance(prices, dict):
        printings = {tcgplayer_variant(key) for key in prices if isinstance(key, str)
                     and key.isalnum()}
        for printing in BASE_PRINTINGS:
            if printing in printings:
                return printing
    return "normal"


def parse_card(obj: Any) -> list[Quote]:
    """One pokemontcg.io card object -> its Cardmarket quotes (pure)."""
    ref = ("pokemontcg_id", card_id(obj))
    block = price_block(obj, "cardmarket")
    if block is None:
        return []
    prices, updated = block
    recorded_at = source_day(updated)
    quotes: list[Quote] = []
    for prefix, variant in CARD_FAMILIES.items():
        if prefix:
            market, low = prices.get(f"{prefix}Trend"), prices.get(f"{prefix}Low")
        else:
            market, low = prices.get("trendPrice"), prices.get("lowPrice")
        market = money(market)
        if market is None:
            continue
        quotes.append(Quote(ref=ref, currency="EUR", market=market, low=money(low),
                            variant=variant or base_variant(obj), recorded_at=recorded_at))
    return quotes


def guide_entry_parser(*, sealed_ids: Collection[int], recorded_at: Any = None):  # noqa: ANN201
    """A parser of one `priceGuides` entry (pure; `sealed_ids` are the product ids our
    catalogue holds as sealed products)."""

    def parse(entry: Any) -> list[Quote]:
        if not isinstance(entry, dict):
            raise RecordError(f"price guide entry is {type(entry).__name__}, not an object")
        product = entry.get("idProduct")
        if isinstance(product, bool) or not isinstance(product, int) or product <= 0:
            raise RecordError("price guide entry without a valid idProduct")
        sealed = product in sealed_ids
        ref = ("sealed_cardmarket_product_id" if sealed else "cardmarket_product_id", product)
        quotes: list[Quote] = []
        for suffix, variant in GUIDE_FAMILIES.items():
            if sealed and suffix:
                continue
            market = money(entry.get(f"trend{suffix}"))
            if market is None:
                continue
            quotes.append(Quote(ref=ref, currency="EUR", market=market,
                                low=money(entry.get(f"low{suffix}")), variant=variant,
                                recorded_at=recorded_at))
        return quotes

    return parse


def parse_price_guide(payload: Any, *, sealed_ids: Collection[int] = (),
                      batch: ScrapeBatch | None = None) -> ScrapeBatch:
    """A whole price guide export -> quotes (pure). Wrong shape: SourceError."""
    batch = batch if batch is not None else ScrapeBatch()
    entries = payload.get("priceGuides") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        raise SourceError("the Cardmarket price guide holds no priceGuides list")
    parse = guide_entry_parser(sealed_ids=frozenset(sealed_ids),
                               recorded_at=source_time(payload.get("createdAt")))
    quotes_from_records(batch, entries, parse, what="price guide product", key="idProduct")
    return batch


def sealed_product_ids() -> frozenset[int]:
    from catalogue.models import SealedProduct

    return frozenset(SealedProduct.objects.filter(cardmarket_product_id__isnull=False)
                     .values_list("cardmarket_product_id", flat=True))


class CardmarketAdapter(PokemontcgPricesAdapter):
    """Options: `inputs` (default both of INPUTS), `set_ids` (pokemontcg.io sets),
    `games` (price guide idGame list, default settings.PRICING_CARDMARKET_GAMES), `file` (a
    saved price guide or pokemontcg.io payload)."""

    source = SOURCE
    fields: ClassVar[tuple[str, ...]] = ("id", "tcgplayer", "cardmarket")

    def parse_card(self, obj: Any) -> list[Quote]:
        return parse_card(obj)

    def scrape(self, *, progress: Progress | None = None) -> ScrapeBatch:
        batch = ScrapeBatch()
        if self.options.get("file"):
            payload = load_json_payload(self.options["file"])
            if isinstance(payload, dict) and "priceGuides" in payload:
                return parse_price_guide(payload, sealed_ids=sealed_product_ids(), batch=batch)
            cards = card_objects_from_file(self.options["file"])
            quotes_from_records(batch, cards, self.parse_card, what="card")
            return batch
        inputs = list(self.options.get("inputs") or INPUTS)
        unknown = set(inputs) - set(INPUTS)
        if unknown:
            raise ValueError(f"unknown Cardmarket inputs: {', '.join(sorted(unknown))}")
        games = [str(game) for game in (self.options.get("games")
                                        or settings.PRICING_CARDMARKET_GAMES)]
        if "pokemontcg" in inputs:
            cards = self.card_objects(progress)
            quotes_from_records(batch, cards, self.parse_card, what="card")
        if "price_guide" in inputs and games:
            client = source_client(self.options, base_url=settings.PRICING_CARDMARKET_URL,
                                   min_interval=1.0, timeout=120)
            payloads = []
            for done, game in enumerate(games, start=1):
                if not game.isdigit():
                    raise ValueError(f"Cardmarket game id {game!r} is not a number")
                payloads.append(client.get_json(f"price_guide_{game}.json"))
                if progress is not None:
                    progress(done, len(games) + 1)
            sealed = sealed_product_ids()
            for payload in payloads:
                parse_price_guide(payload, sealed_ids=sealed, batch=batch)
        return batch
