"""What every price source adapter provides.

An adapter is a small class with a real HTTP path (`fetch`, through csm.http.PoliteClient,
base URL from settings so tests point it at a local server) and a pure parser (`parse`,
payload -> quotes + listings) that tests feed recorded payloads of the source's real format.
`pricing.services.source_scrape_run` drives it: fetch everything first, parse everything,
then write in one transaction — so a timeout, a 5xx or garbage half-way leaves the stored
prices untouched and the run is recorded as failed (visible in /api/status/checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from pricing.ingest import Quote


@dataclass(frozen=True, slots=True)
class Listing:
    """A raw listing or sale behind a quote (CardTrader products, eBay items, …).
    `ref` identifies the card like Quote.ref (cards only)."""

    ref: tuple[str, object]
    external_id: str
    price: Decimal
    currency: str
    kind: str = "listing"  # or "sold"
    title: str = ""
    condition: str = "NM"
    language: str = "en"
    finish: str = "nonfoil"  # nonfoil | foil | etched
    printing: str = "unlimited"  # unlimited | 1st_edition
    grade: str = "raw"
    quantity: int = 1
    seller: str = ""
    url: str = ""
    observed_at: datetime | None = None


@dataclass
class ScrapeBatch:
    """Everything one scrape produced, parsed and ready to write."""

    quotes: list[Quote] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    # Items (Quote.ref) whose listings this scrape covered: their old listings from this
    # source are replaced even when the scrape found none.
    covered_refs: set[tuple[str, object]] = field(default_factory=set)
    invalid: int = 0  # payload entries the parser could not read
    unmatched: int = 0  # entries the adapter itself could not tie to a catalogue item
    errors: list[str] = field(default_factory=list)


Progress = Callable[[int, int], None]  # (done, total) -> None


class SourceAdapter:
    """Base class: subclasses set `source` and implement `scrape`."""

    source: ClassVar[str]
    # Celery beat cadence for the scrape task, in minutes.
    schedule_minutes: ClassVar[int] = 24 * 60

    def __init__(self, **options: Any) -> None:
        self.options = options

    def scrape(self, *, progress: Progress | None = None) -> ScrapeBatch:
        """Fetch and parse; raise csm.http.SourceError when the source cannot be read or
        answers garbage. Must not write to the database."""
        raise NotImplementedError
