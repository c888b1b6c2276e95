"""Scryfall prices from the bulk data export (Magic: The Gathering).

`GET /bulk-data` lists the daily exports; the `default_cards` entry's `download_uri` is a
JSON array of every card object in English (or its only printed language), ~500 MB. It is
streamed and parsed one card object at a time (ijson), never held in memory whole. Each
card object carries

    "id": "0000579f-7b35-4ed3-b44c-db2a538066fe", "lang": "en",
    "prices": {"usd": "0.10", "usd_foil": "0.29", "usd_etched": null,
               "eur": "0.05", "eur_foil": "0.21", "eur_etched": null, "tix": "0.02"}

-> one quote per figure: USD and EUR, variants normal / foil / etched (the catalogue's
MTG finishes), matched by ("scryfall_id", id), dated by the export's `updated_at`. `tix`
(MTGO event tickets) is not money and is not kept. Scryfall's figures are its partners'
market prices (TCGplayer for USD, Cardmarket for EUR), one figure each: market only.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import ijson
import requests
import urllib3
from django.conf import settings

from csm.http import RETRY_STATUSES, PoliteClient, SourceError
from pricing.ingest import Quote, money
from pricing.sources.base import Progress, ScrapeBatch, SourceAdapter
from pricing.sources.support import (
    RecordError,
    open_payload,
    quotes_from_records,
    source_client,
    source_time,
)

SOURCE = "scryfall"
BULK_TYPE = "default_cards"
PRICE_FIELDS: dict[str, tuple[str, str]] = {
    "usd": ("USD", "normal"), "usd_foil": ("USD", "foil"), "usd_etched": ("USD", "etched"),
    "eur": ("EUR", "normal"), "eur_foil": ("EUR", "foil"), "eur_etched": ("EUR", "etched"),
}
# Scryfall asks API clients for an Accept header (and a User-Agent, which PoliteClient sends).
HEADERS = {"Accept": "application/json;q=0.9,*/*;q=0.8"}
_READ_ERRORS = (ijson.JSONError, requests.RequestException, urllib3.exceptions.HTTPError,
                OSError, ValueError)


def parse_card(obj: Any, *, recorded_at: datetime | None = None) -> list[Quote]:
    """One Scryfall card object -> its quotes (pure)."""
    if not isinstance(obj, dict):
        raise RecordError(f"card is {type(obj).__name__}, not an object")
    try:
        card_id = str(uuid.UUID(str(obj.get("id"))))
    except ValueError:
        raise RecordError("card object without a valid id") from None
    prices = obj.get("prices")
    if prices is None:
        return []
    if not isinstance(prices, dict):
        raise RecordError(f"prices is {type(prices).__name__}, not an object")
    language = obj.get("lang") if isinstance(obj.get("lang"), str) else "en"
    if not language or len(language) > 8:
        language = "en"
    quotes: list[Quote] = []
    for field, (currency, variant) in PRICE_FIELDS.items():
        market = money(prices.get(field))
        if market is not None:
            quotes.append(Quote(ref=("scryfall_id", card_id), currency=currency,
                                market=market, variant=variant, language=language,
                                recorded_at=recorded_at))
    return quotes


class _CountingReader:
    """A file-like wrapper reporting bytes read as progress."""

    def __init__(self, raw: IO[bytes], total: int, progress: Progress | None) -> None:
        self.raw, self.total, self.progress = raw, total, progress
        self.done = self._reported = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.done += len(data)
        if self.progress is not None and self.total and \
                self.done - self._reported >= self.total // 100:
            self._reported = self.done
            self.progress(min(self.done, self.total), self.total)
        return data


def card_objects(stream: IO[bytes], *, total: int = 0,
                 progress: Progress | None = None) -> Iterator[Any]:
    """The card objects of a bulk file (a JSON array), one at a time. A broken connection
    or truncated/garbage JSON half-way is a SourceError."""
    reader = _CountingReader(stream, total, progress)
    count = 0
    try:
        for obj in ijson.items(reader, "item", use_float=False):
            count += 1
            yield obj
    except _READ_ERRORS as exc:
        raise SourceError(f"Scryfall bulk data unreadable after {count} cards: "
                          f"{type(exc).__name__}: {exc}") from exc
    if not count:
        raise SourceError("Scryfall bulk data holds no card objects (not a JSON array?)")


def open_stream(client: PoliteClient, url: str) -> requests.Response:
    """GET a large file as a stream, with the client's politeness and retries (the bulk
    file is far too large for PoliteClient.get, which reads the whole body)."""
    last_error: object = None
    for attempt in range(client.retries + 1):
        client._wait_turn()  # the same minimum interval as the client's other requests
        try:
            response = client.session.get(client.url(url), stream=True,
                                          timeout=client.timeout)
        except requests.RequestException as exc:
            last_error = exc
        else:
            if response.status_code < 400:
                response.raw.decode_content = True
                return response
            response.close()
            if response.status_code not in RETRY_STATUSES:
                raise SourceError(f"GET {url} answered HTTP {response.status_code}")
            last_error = f"HTTP {response.status_code}"
        if attempt < client.retries:
            time.sleep(client.backoff * (2 ** attempt))
    raise SourceError(f"GET {url} failed after {client.retries + 1} attempts: {last_error}")


def bulk_entry(listing: Any, bulk_type: str = BULK_TYPE) -> dict[str, Any]:
    """The `bulk_data` object of `bulk_type` from `GET /bulk-data`."""
    entries = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(entries, list):
        raise SourceError("Scryfall /bulk-data answered no data list")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("type") == bulk_type:
            uri = entry.get("download_uri")
            if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
                raise SourceError(f"Scryfall bulk entry {bulk_type} has no download_uri")
            return entry
    raise SourceError(f"Scryfall /bulk-data lists no {bulk_type} file")


class ScryfallAdapter(SourceAdapter):
    """Options: `file` (a saved bulk file, .json or .json.gz), `bulk_type` (default
    default_cards), plus the client options of pricing.sources.support."""

    source = SOURCE

    def scrape(self, *, progress: Progress | None = None) -> ScrapeBatch:
        batch = ScrapeBatch()
        if self.options.get("file"):
            with open_payload(self.options["file"]) as handle:
                quotes_from_records(batch, card_objects(handle), parse_card, what="card")
            return batch
        client = source_client(self.options, base_url=settings.PRICING_SCRYFALL_URL,
                               min_interval=0.1, timeout=120, headers=HEADERS)
        entry = bulk_entry(client.get_json("bulk-data"),
                           str(self.options.get("bulk_type") or BULK_TYPE))
        recorded_at = source_time(entry.get("updated_at"))
        size = entry.get("size") if isinstance(entry.get("size"), int) else 0
        with open_stream(client, entry["download_uri"]) as response:
            quotes_from_records(
                batch, card_objects(response.raw, total=size, progress=progress),
                lambda obj: parse_card(obj, recorded_at=recorded_at), what="card")
        return batch
