"""ECB euro foreign exchange reference rates -> FxRate rows.

The ECB publishes the rates each working day around 16:00 CET as XML:

    <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                     xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
      <gesmes:subject>Reference rates</gesmes:subject>
      <Cube>
        <Cube time="2024-11-20">
          <Cube currency="USD" rate="1.0548"/> …

`eurofxref-daily.xml` holds the latest day, `eurofxref-hist-90d.xml` the last 90 days (the
same layout, one `Cube time=…` per day). 1 EUR = rate × currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from defusedxml import ElementTree
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from csm.http import SourceError
from pricing.fx import fx_cache_clear
from pricing.ingest import IngestResult
from pricing.models import FxRate, ScrapeRun
from pricing.services import scrape_run_finish, scrape_run_start
from pricing.sources.support import open_payload, source_client

SOURCE = "fx"
NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
DAILY_FILE = "eurofxref-daily.xml"
HISTORY_FILE = "eurofxref-hist-90d.xml"
# Fetch the 90-day file instead of the daily one when the newest stored rate is older than
# this (a missed day or a new installation).
GAP_DAYS = 4


@dataclass(frozen=True, slots=True)
class Rate:
    day: date
    currency: str
    rate: Decimal


def parse_rates(xml: bytes | str) -> tuple[list[Rate], int]:
    """The rates of an ECB eurofxref file (pure) and the number of unreadable entries.
    Not XML, or no rates at all: SourceError."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise SourceError(f"ECB rates are not XML: {exc}") from exc
    except ValueError as exc:  # defusedxml refuses entities, DTDs and external references
        raise SourceError(f"ECB rates refused: {exc}") from exc
    rates: list[Rate] = []
    invalid = 0
    for day_cube in root.iter(f"{NAMESPACE}Cube"):
        raw_day = day_cube.get("time")
        if raw_day is None:
            continue
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            invalid += len(day_cube)
            continue
        for cube in day_cube.findall(f"{NAMESPACE}Cube"):
            currency = (cube.get("currency") or "").strip().upper()
            try:
                rate = Decimal((cube.get("rate") or "").strip())
            except InvalidOperation:
                rate = Decimal(0)
            if len(currency) != 3 or not currency.isalpha() or not rate.is_finite() \
                    or rate <= 0 or rate >= Decimal("1e10"):
                invalid += 1
                continue
            rates.append(Rate(day, currency, rate.quantize(Decimal("1e-8"))))
    if not rates:
        raise SourceError("ECB answered no exchange rates")
    return rates, invalid


def fx_rates_store(rates: list[Rate]) -> int:
    """Upsert (date, currency) -> rate; returns the number of rows written."""
    rows = {(r.day, r.currency): FxRate(date=r.day, currency=r.currency, rate=r.rate,
                                        source="ecb") for r in rates}
    with transaction.atomic():
        FxRate.objects.bulk_create(rows.values(), batch_size=1000, update_conflicts=True,
                                   unique_fields=["currency", "date"],
                                   update_fields=["rate", "source"])
    transaction.on_commit(fx_cache_clear)
    return len(rows)


def _needs_history(today: date) -> bool:
    newest = FxRate.objects.order_by("-date").values_list("date", flat=True).first()
    return newest is None or newest < today - timedelta(days=GAP_DAYS)


def fx_rates_fetch(*, history: bool | None = False, path: str | Path | None = None,
                   **client_options: object) -> ScrapeRun:
    """Fetch the ECB reference rates (the 90-day history with `history=True`; with
    `history=None`, only when the stored rates have a gap), or read a saved file (`path`),
    and store them. Recorded as a ScrapeRun with source "fx"; a failure stores nothing."""
    run = scrape_run_start(source=SOURCE)
    try:
        if path is not None:
            with open_payload(path) as handle:
                xml = handle.read()
        else:
            if history is None:
                history = _needs_history(timezone.now().date())
            client = source_client(client_options, base_url=settings.PRICING_ECB_URL,
                                   min_interval=1.0, timeout=60)
            xml = client.get(HISTORY_FILE if history else DAILY_FILE).content
        rates, invalid = parse_rates(xml)
    except SourceError as exc:
        return scrape_run_finish(run=run, error=f"{type(exc).__name__}: {exc}")
    written = fx_rates_store(rates)
    return scrape_run_finish(run=run, result=IngestResult(written=written),
                             fetched=len(rates) + invalid, invalid=invalid)
