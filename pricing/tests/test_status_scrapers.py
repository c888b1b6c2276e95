"""The `scrapers` status target, read through /api/status/checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from csm.models import Incident, ServiceStatus
from csm.status import registered_probes
from pricing.models import ScrapeRun
from pricing.services import source_scrape_run
from pricing.status import scrapers_probe
from pricing.tests.scrape_helpers import FAST, json_route

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(settings):  # noqa: ANN001, ANN202
    """The workers probe must not wait for a broker here."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def finished(source: str, status: str, *, hours_ago: float = 1, error: str = "") -> ScrapeRun:
    at = timezone.now() - timedelta(hours=hours_ago)
    return ScrapeRun.objects.create(source=source, status=status, started_at=at,
                                    finished_at=at + timedelta(minutes=3), progress=100,
                                    error=error)


def scrapers_check(api_client) -> dict:  # noqa: ANN001
    items = api_client.get("/api/status/checks").json()["items"]
    return {item["target"]: item for item in items}["scrapers"]


def test_scrapers_is_a_status_target(api_client) -> None:
    assert "scrapers" in registered_probes()
    check = scrapers_check(api_client)
    assert (check["status"], check["detail"]) == ("operational", "no price source has run yet")


def test_sources_up_to_date_are_operational(api_client) -> None:
    finished("tcgplayer", ScrapeRun.Status.OK)
    finished("scryfall", ScrapeRun.Status.PARTIAL, hours_ago=30)  # rejected rows still count
    finished("fx", ScrapeRun.Status.OK, hours_ago=20)
    finished("fx", ScrapeRun.Status.FAILED, hours_ago=40, error="old trouble")
    ScrapeRun.objects.create(source="ygoprodeck")  # running: not finished, not counted
    check = scrapers_check(api_client)
    assert (check["status"], check["detail"]) == ("operational", "3 sources up to date")


def test_a_failed_scrape_degrades_and_is_named(api_client, recorded_http, settings) -> None:
    finished("tcgplayer", ScrapeRun.Status.OK)
    finished("ygoprodeck", ScrapeRun.Status.OK, hours_ago=26)
    settings.PRICING_YGOPRODECK_URL = recorded_http.url
    recorded_http.routes["/cardinfo.php"] = json_route({"error": "down"}, status=502)
    run = source_scrape_run(source="ygoprodeck", **FAST)
    assert run.status == ScrapeRun.Status.FAILED
    check = scrapers_check(api_client)
    assert check["status"] == "degraded"
    assert check["detail"].startswith("ygoprodeck failed: SourceError: GET ")
    assert "tcgplayer" not in check["detail"]
    assert Incident.objects.get(target="scrapers", resolved_at__isnull=True).status == \
        ServiceStatus.DEGRADED


def test_a_source_without_a_recent_success_is_stale(api_client) -> None:
    finished("tcgplayer", ScrapeRun.Status.OK)
    finished("cardmarket", ScrapeRun.Status.OK, hours_ago=24 * 2 + 1)  # daily cadence
    check = scrapers_check(api_client)
    assert check["status"] == "degraded"
    assert check["detail"].startswith("cardmarket stale: no success since ")


def test_every_source_failing_is_down(api_client) -> None:
    finished("tcgplayer", ScrapeRun.Status.OK, hours_ago=5)
    finished("tcgplayer", ScrapeRun.Status.FAILED, hours_ago=1,
             error="SourceError: GET https://api.pokemontcg.io/v2/cards failed after 5 "
                   "attempts: HTTPSConnectionPool(host='api.pokemontcg.io', port=443): "
                   "Read timed out. (read timeout=60)\nmore lines")
    finished("fx", ScrapeRun.Status.FAILED, error="SourceError: ECB rates are not XML")
    result = scrapers_probe()
    assert result.status == ServiceStatus.DOWN
    fx, tcgplayer = result.detail.split("; ")  # by source name
    assert fx == "fx failed: SourceError: ECB rates are not XML"
    assert tcgplayer.startswith("tcgplayer failed: SourceError: GET https://api.pokemontcg")
    assert tcgplayer.endswith("…") and len(tcgplayer) < 120
    assert scrapers_check(api_client)["status"] == "down"


def test_runs_that_are_not_scrapes_do_not_count(django_assert_num_queries) -> None:
    finished("tcgplayer_history", ScrapeRun.Status.FAILED, error="bad csv")
    finished("scryfall", ScrapeRun.Status.OK)
    with django_assert_num_queries(1):
        result = scrapers_probe()
    assert (result.status, result.detail) == (ServiceStatus.OPERATIONAL, "1 source up to date")
