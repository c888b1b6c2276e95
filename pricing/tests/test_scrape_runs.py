"""Scrape tasks (retry, skip, lock, time limit), the FX and reference tasks, the beat
schedule and the price_scrape command."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalogue.tests.factories import CardFactory, CardSetFactory, tcg
from csm.celery import app as celery_app
from pricing.ingest import Quote, prices_ingest
from pricing.models import FxRate, Price, PriceSnapshot, ScrapeRun
from pricing.sources import ADAPTERS
from pricing.sources.ygoprodeck import YgoprodeckAdapter
from pricing.tasks import fx_rates_fetch, price_reference_refresh, source_scrape
from pricing.tasks import scrape as scrape_tasks
from pricing.tests.scrape_helpers import FAST, fixture_bytes, fixture_path, json_route

CARDINFO = "/cardinfo.php"


class UnconfiguredYgoprodeck(YgoprodeckAdapter):
    """The real adapter, as a source whose credentials are missing would report itself."""

    @classmethod
    def is_configured(cls) -> bool:
        return False


@pytest.fixture(autouse=True)
def _eager(settings):  # noqa: ANN001, ANN202
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def blue_eyes(db):  # noqa: ANN001, ANN201
    return CardFactory(card_set=CardSetFactory(tcg=tcg("yugioh")), ygoprodeck_id=89631139)


@pytest.fixture
def ygoprodeck_http(recorded_http, settings):  # noqa: ANN001, ANN201
    settings.PRICING_YGOPRODECK_URL = recorded_http.url
    recorded_http.routes[CARDINFO] = (200, fixture_bytes("ygoprodeck", "cardinfo.json"),
                                      "application/json")
    return recorded_http


# --- Tasks ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_scrape_task_runs_the_source_and_returns_its_run(blue_eyes, ygoprodeck_http) -> None:
    run_id = source_scrape.delay("ygoprodeck", **FAST).get()
    run = ScrapeRun.objects.get(pk=run_id)
    assert (run.source, run.status, run.written) == ("ygoprodeck", ScrapeRun.Status.OK, 2)
    assert source_scrape.soft_time_limit < source_scrape.time_limit
    # idempotent: the same figures again change nothing but the run log
    source_scrape.delay("ygoprodeck", **FAST).get()
    assert Price.objects.count() == 2 and PriceSnapshot.objects.count() == 2


def _on_worker(task, attempt: int, /, *args: object, **kwargs: object) -> object:  # noqa: ANN001
    """Run a task's body as a worker would (not eager), at its `attempt`-th retry."""
    task.push_request(id=f"test-{attempt}", retries=attempt, is_eager=False,
                      called_directly=False, args=args, kwargs=kwargs)
    try:
        return task.run(*args, **kwargs)
    finally:
        task.pop_request()


@pytest.mark.django_db
def test_an_unreachable_source_is_retried_later_then_left_failed(blue_eyes,
                                                                 ygoprodeck_http) -> None:
    ygoprodeck_http.routes[CARDINFO] = json_route({"error": "busy"}, status=503)
    with pytest.raises(Retry) as retry:
        _on_worker(source_scrape, 0, "ygoprodeck", **FAST)
    assert retry.value.when == scrape_tasks.RETRY_COUNTDOWNS[0]
    last = len(scrape_tasks.RETRY_COUNTDOWNS)
    ScrapeRun.objects.all().delete()
    run_id = _on_worker(source_scrape, last, "ygoprodeck", **FAST)  # retries used up
    run = ScrapeRun.objects.get()
    assert run.pk == run_id and run.status == ScrapeRun.Status.FAILED
    assert "failed after 1 attempts" in run.error
    assert not Price.objects.exists()


@pytest.mark.django_db
def test_eager_runs_are_not_retried(blue_eyes, ygoprodeck_http) -> None:
    ygoprodeck_http.routes[CARDINFO] = json_route({"error": "busy"}, status=503)
    run_id = source_scrape.delay("ygoprodeck", **FAST).get()
    assert list(ScrapeRun.objects.values_list("pk", "status")) == [
        (run_id, ScrapeRun.Status.FAILED)]


@pytest.mark.django_db
def test_garbage_is_not_retried(blue_eyes, ygoprodeck_http) -> None:
    ygoprodeck_http.routes[CARDINFO] = json_route({"data": "nothing"})
    _on_worker(source_scrape, 0, "ygoprodeck", **FAST)
    assert ScrapeRun.objects.get().status == ScrapeRun.Status.FAILED
    assert ygoprodeck_http.requests == [CARDINFO]


@pytest.mark.django_db
def test_an_unconfigured_source_is_skipped_without_a_run(blue_eyes, ygoprodeck_http,
                                                         monkeypatch) -> None:
    monkeypatch.setitem(ADAPTERS, "ygoprodeck",
                        "pricing.tests.test_scrape_runs.UnconfiguredYgoprodeck")
    assert source_scrape.delay("ygoprodeck", **FAST).get() is None
    assert not ScrapeRun.objects.exists() and ygoprodeck_http.requests == []


@pytest.mark.django_db
def test_a_source_being_scraped_is_not_scraped_twice(blue_eyes, ygoprodeck_http) -> None:
    lock = "pricing:scrape-lock:ygoprodeck"
    cache.add(lock, "other-worker", 60)
    try:
        assert source_scrape.delay("ygoprodeck", **FAST).get() is None
        assert not ScrapeRun.objects.exists()
    finally:
        cache.delete(lock)
    assert source_scrape.delay("ygoprodeck", **FAST).get() is not None
    assert cache.get(lock) is None  # released after the run


@pytest.mark.django_db
def test_a_run_cut_by_the_time_limit_is_recorded_as_failed(monkeypatch) -> None:
    def too_slow(*, source: str, **options: object) -> ScrapeRun:
        ScrapeRun.objects.create(source=source)
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(scrape_tasks, "source_scrape_run", too_slow)
    with pytest.raises(SoftTimeLimitExceeded):
        source_scrape.apply(args=("ygoprodeck",), throw=True)
    run = ScrapeRun.objects.get()
    assert (run.status, run.error, run.progress) == (
        ScrapeRun.Status.FAILED, "time limit exceeded", 100)
    assert run.finished_at is not None


def test_an_unknown_source_fails_the_task() -> None:
    with pytest.raises(ValueError, match="unknown price source"):
        source_scrape.delay("nowhere").get()


@pytest.mark.django_db
def test_fx_task_stores_the_daily_rates(recorded_http, settings) -> None:
    settings.PRICING_ECB_URL = recorded_http.url
    recorded_http.routes["/eurofxref-daily.xml"] = (
        200, fixture_bytes("ecb", "eurofxref-daily.xml"), "text/xml")
    run_id = fx_rates_fetch.delay(history=False).get()
    assert ScrapeRun.objects.get(pk=run_id).status == ScrapeRun.Status.OK
    assert FxRate.objects.count() == 30


@pytest.mark.django_db
def test_reference_task_refreshes_the_rolling_medians(blue_eyes) -> None:
    for days_ago, market in ((3, "10"), (2, "12"), (1, "11")):
        prices_ingest(source="ygoprodeck", quotes=[Quote(
            ref=("card_id", blue_eyes.pk), currency="USD", market=Decimal(market),
            recorded_at=timezone.now() - timedelta(days=days_ago))])
    assert price_reference_refresh.delay().get() == 1
    assert Price.objects.get().reference_price == Decimal("11.00")


def test_beat_schedules_every_source_of_this_group_and_the_fx_and_reference_tasks() -> None:
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    scraped = {entry["args"][0] for entry in schedule.values()
               if entry["task"] == "pricing.tasks.source_scrape"}
    assert {"tcgplayer", "cardmarket", "scryfall", "ygoprodeck"} <= scraped
    tasks = {entry["task"] for entry in schedule.values()}
    assert {"pricing.tasks.fx_rates_fetch", "pricing.tasks.price_reference_refresh"} <= tasks
    celery_app.loader.import_default_modules()
    assert tasks <= set(celery_app.tasks)


# --- price_scrape command -------------------------------------------------------------------

@pytest.mark.django_db
def test_command_parses_a_saved_payload_and_prints_the_counts(blue_eyes) -> None:
    out = StringIO()
    call_command("price_scrape", "ygoprodeck", "--file",
                 str(fixture_path("ygoprodeck", "cardinfo.json")), stdout=out, verbosity=0)
    assert "ygoprodeck: Succeeded — fetched 5, written 2, unmatched 3, invalid 0, " \
           "outliers 0" in out.getvalue()
    assert Price.objects.filter(card=blue_eyes).count() == 2


@pytest.mark.django_db
def test_command_scrapes_chosen_sets_live(recorded_http, settings) -> None:
    settings.PRICING_POKEMONTCG_URL = recorded_http.url
    path = "/cards?q=set.id:sv3&select=id,tcgplayer&page=1&pageSize=250"
    recorded_http.routes[path] = (200, fixture_bytes("pokemontcg", "cards_sv3.json"),
                                  "application/json")
    CardFactory(card_set=CardSetFactory(source_id="sv3"), pokemontcg_id="sv3-223")
    out = StringIO()
    call_command("price_scrape", "tcgplayer", "--set", "sv3", stdout=out, stderr=StringIO())
    assert recorded_http.requests == [path]
    assert "written 1, unmatched 2" in out.getvalue()


@pytest.mark.django_db
def test_command_refuses_an_unconfigured_source_without_recording_a_run(monkeypatch) -> None:
    monkeypatch.setitem(ADAPTERS, "ygoprodeck",
                        "pricing.tests.test_scrape_runs.UnconfiguredYgoprodeck")
    with pytest.raises(CommandError, match="ygoprodeck is not configured"):
        call_command("price_scrape", "ygoprodeck", stdout=StringIO())
    assert not ScrapeRun.objects.exists()


@pytest.mark.django_db
def test_command_reads_ecb_rates_from_a_file() -> None:
    out = StringIO()
    call_command("price_scrape", "fx", "--file",
                 str(fixture_path("ecb", "eurofxref-hist-90d.xml")), stdout=out)
    assert "fx: Succeeded — fetched 12, written 12" in out.getvalue()


@pytest.mark.django_db
def test_command_fails_loudly_on_a_broken_file(tmp_path) -> None:
    broken = tmp_path / "cardinfo.json"
    broken.write_text('{"data": [{"id": 89631139, "card_prices": [{"tcgpl')
    err = StringIO()
    with pytest.raises(CommandError, match="ygoprodeck scrape failed"):
        call_command("price_scrape", "ygoprodeck", "--file", str(broken), stdout=StringIO(),
                     stderr=err, verbosity=0)
    assert "not valid JSON" in err.getvalue()
    assert ScrapeRun.objects.get().status == ScrapeRun.Status.FAILED
    with pytest.raises(CommandError, match="is not a file"):
        call_command("price_scrape", "ygoprodeck", "--file", str(tmp_path / "missing.json"))
