"""Status-page probes: each target is a function returning a ProbeResult.

csm registers `api`, `database`, `redis` and `workers`. Another app adds a target by
defining it in its own `status.py` module with the decorator (modules named `status` in
installed apps are imported on first use):

    @register_probe("scrapers")
    def scrapers_probe() -> ProbeResult: ...

A probe that raises is recorded as down with the exception as detail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import autodiscover_modules

from csm.models import ServiceStatus

Probe = Callable[[], "ProbeResult"]

# Latency above which a target that answers is reported as degraded.
DEGRADED_AFTER_MS: dict[str, float] = {"api": 1000.0, "database": 500.0, "redis": 200.0}
DETAIL_MAX = 500


@dataclass(frozen=True)
class ProbeResult:
    status: str
    latency_ms: float | None = None
    detail: str = ""


_PROBES: dict[str, Probe] = {}
_discovered = False


def register_probe(target: str) -> Callable[[Probe], Probe]:
    def decorator(probe: Probe) -> Probe:
        _PROBES[target] = probe
        return probe

    return decorator


def unregister_probe(target: str) -> None:
    _PROBES.pop(target, None)


def registered_probes() -> dict[str, Probe]:
    """Target -> probe, csm's own first, then those other apps' `status` modules add."""
    global _discovered
    if not _discovered:
        autodiscover_modules("status")
        _discovered = True
    return dict(_PROBES)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _by_latency(target: str, latency_ms: float, detail: str = "") -> ProbeResult:
    limit = DEGRADED_AFTER_MS.get(target)
    if limit is not None and latency_ms > limit:
        return ProbeResult(ServiceStatus.DEGRADED, latency_ms,
                           f"slow: {latency_ms:.0f} ms (threshold {limit:.0f} ms)")
    return ProbeResult(ServiceStatus.OPERATIONAL, latency_ms, detail)


def run_probe(probe: Probe) -> ProbeResult:
    try:
        result = probe()
    except Exception as exc:  # a failing probe is exactly what it must report
        return ProbeResult(ServiceStatus.DOWN, None, f"{type(exc).__name__}: {exc}"[:DETAIL_MAX])
    return ProbeResult(result.status, result.latency_ms, result.detail[:DETAIL_MAX])


def run_probes() -> dict[str, ProbeResult]:
    return {target: run_probe(probe) for target, probe in registered_probes().items()}


def _site_host() -> tuple[str, bool]:
    """A Host header this deployment accepts, and whether it is served over HTTPS."""
    parts = urlsplit(settings.SITE_URL)
    return parts.netloc or "localhost", parts.scheme == "https"


@register_probe("api")
def api_probe() -> ProbeResult:
    """A real GET /healthz through the middleware stack, URL resolver and view, in-process."""
    from django.test import Client

    host, secure = _site_host()
    # The nested request activates its own language; keep the caller's.
    with translation.override(translation.get_language()):
        started = time.perf_counter()
        response = Client(HTTP_HOST=host).get("/healthz", secure=secure,
                                               HTTP_ACCEPT="application/json")
        latency = _elapsed_ms(started)
    if response.status_code != 200:
        return ProbeResult(ServiceStatus.DOWN, latency,
                           f"/healthz answered HTTP {response.status_code}")
    return _by_latency("api", latency)


@register_probe("database")
def database_probe() -> ProbeResult:
    from django.db import connection

    from csm.selectors import database_ping

    started = time.perf_counter()
    database_ping()
    return _by_latency("database", _elapsed_ms(started), connection.vendor)


@register_probe("redis")
def redis_probe() -> ProbeResult:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return ProbeResult(ServiceStatus.OPERATIONAL, None, "embedded cache (no Redis configured)")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        started = time.perf_counter()
        client.ping()
        latency = _elapsed_ms(started)
    finally:
        client.close()
    return _by_latency("redis", latency)


@register_probe("workers")
def workers_probe() -> ProbeResult:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return ProbeResult(ServiceStatus.OPERATIONAL, None, "eager mode (tasks run in-process)")
    from csm.celery import app as celery_app

    with celery_app.connection_for_write() as conn:
        # Fail at once on an unreachable broker instead of retrying for minutes.
        conn.ensure_connection(max_retries=0)
        replies = celery_app.control.inspect(timeout=1, connection=conn).ping() or {}
    if not replies:
        return ProbeResult(ServiceStatus.DOWN, None, "no Celery worker answered the ping")
    count = len(replies)
    return ProbeResult(ServiceStatus.OPERATIONAL, None,
                       f"{count} worker{'s' if count != 1 else ''} answered the ping")
