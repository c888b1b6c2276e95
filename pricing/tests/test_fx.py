"""ECB reference rates: the XML parser, storing FxRate rows and the recorded "fx" runs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from csm.http import SourceError
from pricing.fx import convert, fx_rate
from pricing.models import FxRate, ScrapeRun
from pricing.sources.ecb import (
    DAILY_FILE,
    HISTORY_FILE,
    fx_rates_fetch,
    parse_rates,
)
from pricing.tests.scrape_helpers import FAST, fixture_bytes, fixture_path

DAY = date(2024, 11, 20)


# --- Parser ---------------------------------------------------------------------------------

def test_daily_file_gives_one_rate_per_currency() -> None:
    rates, invalid = parse_rates(fixture_bytes("ecb", DAILY_FILE))
    assert invalid == 0 and len(rates) == 30
    assert {r.day for r in rates} == {DAY}
    by_currency = {r.currency: r.rate for r in rates}
    assert by_currency["USD"] == Decimal("1.0548") and by_currency["JPY"] == Decimal("163.81")


def test_history_file_gives_every_day() -> None:
    rates, _invalid = parse_rates(fixture_bytes("ecb", HISTORY_FILE))
    assert sorted({r.day for r in rates}) == [date(2024, 11, 18), date(2024, 11, 19), DAY]
    assert len(rates) == 12


def test_unreadable_entries_are_counted_not_stored() -> None:
    xml = fixture_bytes("ecb", DAILY_FILE).replace(
        b"<Cube currency='USD' rate='1.0548'/>",
        b"<Cube currency='USD' rate='n/a'/><Cube currency='XX' rate='1.2'/>"
        b"<Cube currency='ABC' rate='-1'/>")
    rates, invalid = parse_rates(xml)
    assert invalid == 3 and "USD" not in {r.currency for r in rates} and len(rates) == 29


@pytest.mark.parametrize("body", [
    b"<html><body>Service unavailable</body></html>",
    b"<?xml version='1.0'?><gesmes:Envelope xmlns:gesmes='x'>",
    b'{"rates": {"USD": 1.05}}',
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;'>]>"
    b"<x>&b;</x>",
], ids=["html", "truncated", "json", "entities"])
def test_anything_but_rates_is_a_source_error(body: bytes) -> None:
    with pytest.raises(SourceError):
        parse_rates(body)


# --- Fetching and storing -------------------------------------------------------------------

@pytest.fixture
def ecb_http(recorded_http, settings):  # noqa: ANN001, ANN201
    settings.PRICING_ECB_URL = recorded_http.url
    for name in (DAILY_FILE, HISTORY_FILE):
        recorded_http.routes[f"/{name}"] = (200, fixture_bytes("ecb", name), "text/xml")
    return recorded_http


@pytest.mark.django_db
def test_fetch_stores_rates_records_a_run_and_refreshes_the_fx_cache(
        ecb_http, django_capture_on_commit_callbacks) -> None:
    FxRate.objects.create(date=DAY, currency="USD", rate=Decimal("1.0000"))
    assert convert(Decimal("10.00"), "EUR", "USD") == Decimal("10.00")  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        run = fx_rates_fetch(history=False, **FAST)
    assert ecb_http.requests == [f"/{DAILY_FILE}"]
    assert (run.source, run.status, run.fetched, run.written, run.invalid) == (
        "fx", ScrapeRun.Status.OK, 30, 30, 0)
    assert FxRate.objects.count() == 30
    assert FxRate.objects.get(currency="USD").rate == Decimal("1.05480000")
    assert convert(Decimal("10.00"), "EUR", "USD") == Decimal("10.55")
    assert fx_rate("USD", "GBP", on=DAY).rate == (Decimal("0.83380") / Decimal("1.0548")) \
        .quantize(Decimal("1e-8"))


@pytest.mark.django_db
def test_history_is_fetched_when_asked_or_when_the_stored_rates_have_a_gap(ecb_http) -> None:
    run = fx_rates_fetch(history=None, **FAST)  # nothing stored yet
    assert ecb_http.requests == [f"/{HISTORY_FILE}"] and run.written == 12
    assert FxRate.objects.filter(currency="USD").count() == 3
    FxRate.objects.create(date=timezone.now().date() - timedelta(days=1), currency="USD",
                          rate=Decimal("1.08"))
    fx_rates_fetch(history=None, **FAST)  # up to date: the daily file
    fx_rates_fetch(history=True, **FAST)
    assert ecb_http.requests[1:] == [f"/{DAILY_FILE}", f"/{HISTORY_FILE}"]
    assert FxRate.objects.filter(currency="USD", date=DAY).count() == 1  # upserted


@pytest.mark.django_db
@pytest.mark.parametrize("broken", [
    (503, b"Service Temporarily Unavailable", "text/html"),
    (200, b"<html>maintenance</html>", "text/html"),
])
def test_a_failed_fetch_keeps_the_stored_rates(ecb_http, broken) -> None:
    FxRate.objects.create(date=DAY, currency="USD", rate=Decimal("1.0548"))
    ecb_http.routes[f"/{DAILY_FILE}"] = broken
    run = fx_rates_fetch(history=False, **FAST)
    assert (run.source, run.status) == ("fx", ScrapeRun.Status.FAILED)
    assert run.error.startswith("SourceError")
    assert list(FxRate.objects.values_list("currency", "rate")) == [("USD", Decimal("1.0548"))]


@pytest.mark.django_db
def test_a_saved_file_is_read_instead_of_fetching() -> None:
    run = fx_rates_fetch(path=fixture_path("ecb", HISTORY_FILE))
    assert (run.status, run.written) == (ScrapeRun.Status.OK, 12)
