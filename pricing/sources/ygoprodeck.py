"""YGOPRODeck card prices (Yu-Gi-Oh!).

`GET /cardinfo.php` (API v7) answers every card: `{"data": [{"id": 46986414,
"name": "Dark Magician", …, "card_prices": [{"cardmarket_price": "0.10",
"tcgplayer_price": "0.17", "ebay_price": "2.99", "amazon_price": "24.45",
"coolstuffinc_price": "0.25"}]}]}`.

`id` is the card's passcode, which YGOJSON records as `externalIDs.ygoprodeck.id` and the
catalogue stores as `Card.ygoprodeck_id`: quotes match on ("ygoprodeck_id", id). Two quotes
per card, both under source "ygoprodeck" (YGOPRODeck aggregates them; they are not our
TCGplayer/Cardmarket scrapes): `tcgplayer_price` as the USD market price and
`cardmarket_price` as the EUR market price. eBay, Amazon and CoolStuffInc figures are
shop asking prices in USD and are not kept (they would collide with the TCGplayer figure
on the same key). "0.00" or an empty string means "no price", not a price of zero.

The prices are per card, not per printing; the catalogue holds Yu-Gi-Oh! printings, so a
card's figures land on the printing the price book resolves the passcode to (the lowest
id sharing it, pricing.ingest).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from csm.http import SourceError
from pricing.ingest import Quote, money
from pricing.sources.base import Progress, ScrapeBatch, SourceAdapter
from pricing.sources.support import (
    RecordError,
    load_json_payload,
    quotes_from_records,
    source_client,
)

SOURCE = "ygoprodeck"
FIGURES = (("tcgplayer_price", "USD"), ("cardmarket_price", "EUR"))


def parse_card(obj: Any) -> list[Quote]:
    """One `data[]` card object -> its quotes (pure)."""
    if not isinstance(obj, dict):
        raise RecordError(f"card is {type(obj).__name__}, not an object")
    passcode = obj.get("id")
    if isinstance(passcode, str) and passcode.isdigit():
        passcode = int(passcode)
    if isinstance(passcode, bool) or not isinstance(passcode, int) or passcode <= 0:
        raise RecordError("card object without a valid id")
    rows = obj.get("card_prices")
    if rows is None or rows == []:
        return []
    if not isinstance(rows, list) or not isinstance(rows[0], dict):
        raise RecordError("card_prices is not a list of objects")
    prices = rows[0]
    quotes: list[Quote] = []
    for field, currency in FIGURES:
        market = money(prices.get(field))
        if market is not None:
            quotes.append(Quote(ref=("ygoprodeck_id", passcode), currency=currency,
                                market=market))
    return quotes


def parse_payload(payload: Any, batch: ScrapeBatch | None = None) -> ScrapeBatch:
    """A whole cardinfo.php answer -> quotes (pure). Wrong shape: SourceError."""
    batch = batch if batch is not None else ScrapeBatch()
    cards = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(cards, list):
        detail = payload.get("error") if isinstance(payload, dict) else None
        raise SourceError("YGOPRODeck answered no data list"
                          + (f": {str(detail)[:200]}" if detail else ""))
    quotes_from_records(batch, cards, parse_card, what="card")
    return batch


class YgoprodeckAdapter(SourceAdapter):
    """Options: `file` (a saved cardinfo.php answer), plus the client options of
    pricing.sources.support."""

    source = SOURCE

    def scrape(self, *, progress: Progress | None = None) -> ScrapeBatch:
        if self.options.get("file"):
            return parse_payload(load_json_payload(self.options["file"]))
        # YGOPRODeck allows 20 requests a second; this is one request for every card.
        client = source_client(self.options, base_url=settings.PRICING_YGOPRODECK_URL,
                               min_interval=0.1, timeout=120)
        payload = client.get_json("cardinfo.php")
        if progress is not None:
            progress(1, 2)
        return parse_payload(payload)
