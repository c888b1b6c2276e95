"""Status probes, the recording service and task, /api/status/checks and /incidents."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError
from django.utils import timezone, translation

from csm import status as probes
from csm.celery import app as celery_app
from csm.models import Incident, ServiceStatus, StatusCheck
from csm.services import status_checks_record
from csm.status import ProbeResult, register_probe, registered_probes, unregister_probe
from csm.tasks import status_checks_run

OK = ProbeResult(ServiceStatus.OPERATIONAL, 1.0, "")
SLOW = ProbeResult(ServiceStatus.DEGRADED, 900.0, "slow")
BROKEN = ProbeResult(ServiceStatus.DOWN, None, "boom")


@pytest.fixture(autouse=True)
def _eager_workers(settings):
    """The workers probe is tested on its own; elsewhere it must not wait for a broker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def flaky():
    """A registered probe whose answer the test sets: {"result": ProbeResult | Exception}."""
    state: dict = {"result": OK}

    def probe() -> ProbeResult:
        if isinstance(state["result"], Exception):
            raise state["result"]
        return state["result"]

    register_probe("flaky")(probe)
    yield state
    unregister_probe("flaky")


# --- Probes -----------------------------------------------------------------------------------

def test_builtin_targets_are_registered():
    assert list(registered_probes())[:4] == ["api", "database", "redis", "workers"]


@pytest.mark.django_db
def test_database_probe_measures_select_1():
    result = probes.database_probe()
    assert result.status == ServiceStatus.OPERATIONAL
    assert 0 <= result.latency_ms < 500


@pytest.mark.django_db
def test_database_probe_degrades_when_slow(monkeypatch):
    monkeypatch.setitem(probes.DEGRADED_AFTER_MS, "database", 0.0)
    result = probes.database_probe()
    assert result.status == ServiceStatus.DEGRADED
    assert "threshold" in result.detail


@pytest.mark.django_db
def test_api_probe_times_a_real_request_and_keeps_the_language():
    with translation.override("nl"):
        result = probes.api_probe()
        assert translation.get_language() == "nl"
    assert result.status == ServiceStatus.OPERATIONAL
    assert result.latency_ms > 0


@pytest.mark.django_db
def test_api_probe_is_down_when_healthz_fails(monkeypatch):
    def unreachable() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr("csm.api.platform.database_ping", unreachable)
    result = probes.api_probe()
    assert result.status == ServiceStatus.DOWN
    assert result.detail == "/healthz answered HTTP 503"


def test_redis_probe_without_redis_is_honest(settings):
    settings.REDIS_URL = ""
    assert probes.redis_probe() == ProbeResult(ServiceStatus.OPERATIONAL, None,
                                               "embedded cache (no Redis configured)")


def test_redis_probe_is_down_on_a_closed_port(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    result = probes.run_probe(probes.redis_probe)
    assert result.status == ServiceStatus.DOWN
    assert "ConnectionError" in result.detail


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_redis_probe_pings_a_real_server(settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    result = probes.redis_probe()
    assert result.status == ServiceStatus.OPERATIONAL
    assert result.latency_ms is not None and result.latency_ms > 0


def test_workers_probe_in_eager_mode():
    assert probes.workers_probe() == ProbeResult(ServiceStatus.OPERATIONAL, None,
                                                 "eager mode (tasks run in-process)")


def test_workers_probe_is_down_when_the_broker_is_unreachable(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    started = time.monotonic()
    result = probes.run_probe(probes.workers_probe)
    assert result.status == ServiceStatus.DOWN
    assert "OperationalError" in result.detail
    assert time.monotonic() - started < 10


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_workers_probe_counts_a_real_worker(settings, monkeypatch, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(celery_app.conf, "broker_url", os.environ["REDIS_URL"])
    name = f"probe-{uuid.uuid4().hex[:8]}@%h"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "csm", "worker", "--pool=solo",
         "--concurrency=1", "-n", name, "-Q", f"probe-test-{uuid.uuid4().hex}",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=django_settings.BASE_DIR, env={**os.environ}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        result = probes.workers_probe()
        while result.status != ServiceStatus.OPERATIONAL and time.monotonic() < deadline:
            result = probes.workers_probe()
        assert result.status == ServiceStatus.OPERATIONAL
        assert "answered the ping" in result.detail
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_a_probe_that_raises_is_down():
    def broken() -> ProbeResult:
        raise RuntimeError("disk on fire")

    assert probes.run_probe(broken) == ProbeResult(ServiceStatus.DOWN, None,
                                                   "RuntimeError: disk on fire")


# --- Recording and incidents --------------------------------------------------------------------

@pytest.mark.django_db
def test_record_stores_one_check_per_target(flaky):
    now = timezone.now()
    checks = status_checks_record(now=now)
    assert sorted(c.target for c in checks) == sorted(registered_probes())
    assert StatusCheck.objects.filter(checked_at=now).count() == len(registered_probes())
    database = StatusCheck.objects.get(target="database")
    assert database.status == ServiceStatus.OPERATIONAL
    assert database.latency_ms is not None and database.latency_ms >= 0
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_incident_opens_escalates_and_resolves(flaky):
    t0 = timezone.now()
    flaky["result"] = SLOW
    status_checks_record(now=t0)
    incident = Incident.objects.get(target="flaky")
    assert (incident.status, incident.detail, incident.started_at, incident.resolved_at) == (
        ServiceStatus.DEGRADED, "slow", t0, None)

    flaky["result"] = RuntimeError("gone")
    status_checks_record(now=t0 + timedelta(minutes=1))
    incident.refresh_from_db()
    assert Incident.objects.filter(target="flaky").count() == 1
    assert (incident.status, incident.detail) == (ServiceStatus.DOWN, "RuntimeError: gone")

    flaky["result"] = SLOW  # still an incident; it keeps the worst state seen
    status_checks_record(now=t0 + timedelta(minutes=2))
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == (ServiceStatus.DOWN, None)

    flaky["result"] = OK
    status_checks_record(now=t0 + timedelta(minutes=3))
    incident.refresh_from_db()
    assert incident.resolved_at == t0 + timedelta(minutes=3)

    flaky["result"] = BROKEN
    status_checks_record(now=t0 + timedelta(minutes=4))
    assert Incident.objects.filter(target="flaky").count() == 2
    assert Incident.objects.filter(target="flaky", resolved_at__isnull=True).get().status == (
        ServiceStatus.DOWN)


@pytest.mark.django_db
def test_unreachable_redis_opens_an_incident(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    status_checks_record()
    check = StatusCheck.objects.get(target="redis")
    assert check.status == ServiceStatus.DOWN
    incident = Incident.objects.get(target="redis")
    assert incident.resolved_at is None
    assert "ConnectionError" in incident.detail


@pytest.mark.django_db
def test_concurrently_opened_incident_is_not_duplicated(flaky):
    """Another run opened the incident between our read and our insert."""
    now = timezone.now()
    flaky["result"] = BROKEN
    Incident.objects.create(target="flaky", status=ServiceStatus.DOWN, started_at=now)
    from csm.services import _incident_transition

    _incident_transition("flaky", BROKEN, None, now)
    assert Incident.objects.filter(target="flaky").count() == 1


@pytest.mark.django_db
def test_checks_older_than_a_week_are_pruned(flaky):
    now = timezone.now()
    old = StatusCheck.objects.create(target="flaky", status="operational",
                                     checked_at=now - timedelta(days=7, minutes=1))
    recent = StatusCheck.objects.create(target="flaky", status="operational",
                                        checked_at=now - timedelta(days=6, hours=23))
    status_checks_record(now=now)
    assert not StatusCheck.objects.filter(pk=old.pk).exists()
    assert StatusCheck.objects.filter(pk=recent.pk).exists()


@pytest.mark.django_db
def test_task_has_the_scheduled_name_and_records(flaky):
    assert status_checks_run.name == "csm.tasks.status_checks_run"
    assert django_settings.CELERY_BEAT_SCHEDULE["status-checks"]["task"] == status_checks_run.name
    assert status_checks_run.time_limit and status_checks_run.soft_time_limit
    assert status_checks_run.delay().get() == len(registered_probes())
    assert StatusCheck.objects.filter(target="flaky").count() == 1


# --- /api/status/checks -------------------------------------------------------------------------

@pytest.mark.django_db
def test_checks_are_probed_once_when_none_were_recorded(api_client):
    assert not StatusCheck.objects.exists()
    response = api_client.get("/api/status/checks")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["target"] for i in items] == list(registered_probes())
    assert set(items[0]) == {"target", "status", "last_check", "latency_ms", "detail"}
    by_target = {i["target"]: i for i in items}
    assert by_target["database"]["status"] == "operational"
    assert isinstance(by_target["database"]["latency_ms"], float)
    assert by_target["api"]["status"] == "operational"
    recorded = StatusCheck.objects.count()
    api_client.get("/api/status/checks")
    assert StatusCheck.objects.count() == recorded  # not probed again


@pytest.mark.django_db
def test_checks_show_the_latest_per_target(api_client, flaky, django_assert_max_num_queries):
    t0 = timezone.now() - timedelta(minutes=5)
    targets = list(registered_probes())
    status_checks_record(now=t0, results=dict.fromkeys(targets, BROKEN))
    status_checks_record(now=t0 + timedelta(minutes=1), results=dict.fromkeys(targets, OK))
    StatusCheck.objects.create(target="retired", status="down", checked_at=t0)
    with django_assert_max_num_queries(2):
        items = api_client.get("/api/status/checks").json()["items"]
    assert [i["target"] for i in items] == targets
    assert {i["status"] for i in items} == {"operational"}
    assert {i["latency_ms"] for i in items} == {1.0}
    last = timezone.localtime(t0 + timedelta(minutes=1))
    assert all(i["last_check"].startswith(last.strftime("%Y-%m-%dT%H:%M:%S")) for i in items)


# --- /api/status/incidents ----------------------------------------------------------------------

@pytest.mark.django_db
def test_incidents_are_listed_newest_first(api_client):
    now = timezone.now()
    for minutes, target in ((30, "redis"), (20, "api"), (10, "workers")):
        Incident.objects.create(target=target, status="down", detail=f"{target} broke",
                                started_at=now - timedelta(minutes=minutes),
                                resolved_at=now if target == "redis" else None)
    body = api_client.get("/api/status/incidents?limit=2").json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 0)
    assert [i["target"] for i in body["items"]] == ["workers", "api"]
    assert set(body["items"][0]) == {"id", "target", "status", "detail", "started_at",
                                     "resolved_at"}
    assert body["items"][0]["resolved_at"] is None
    rest = api_client.get("/api/status/incidents?limit=2&offset=2").json()
    assert [i["target"] for i in rest["items"]] == ["redis"]
    assert rest["items"][0]["resolved_at"] is not None


@pytest.mark.django_db
def test_incidents_default_page_size_is_20(api_client):
    body = api_client.get("/api/status/incidents").json()
    assert body == {"items": [], "total": 0, "limit": 20, "offset": 0}


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["limit=101", "limit=0", "offset=-1", "limit=abc"])
def test_incidents_reject_bad_paging(api_client, query):
    response = api_client.get(f"/api/status/incidents?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"
