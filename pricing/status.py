"""The `scrapers` status target: are the price sources (and the ECB rates) being read?

Only sources that have ever run count (a source without credentials never runs). For each,
the latest finished run and the latest successful one (ok, or ok with rejected rows):
- degraded when any source's latest run failed, or its last success is older than twice
  its cadence (the adapter's `schedule_minutes`; daily for FX);
- down when every counted source's latest run failed;
- operational otherwise (also when nothing has run yet).
History imports and other run kinds are not scrapers and are not counted.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from csm.models import ServiceStatus
from csm.status import ProbeResult, register_probe
from pricing.models import ScrapeRun
from pricing.sources import ADAPTERS, adapter_class

FX_SOURCE = "fx"
DEFAULT_CADENCE = timedelta(days=1)
ERROR_CHARS = 80
SUCCESS = (ScrapeRun.Status.OK, ScrapeRun.Status.PARTIAL)


def source_cadence(source: str) -> timedelta:
    if source == FX_SOURCE:
        return DEFAULT_CADENCE
    try:
        return timedelta(minutes=adapter_class(source).schedule_minutes)
    except (ImportError, AttributeError, ValueError):  # an adapter module not there (yet)
        return DEFAULT_CADENCE


def _short(error: str) -> str:
    line = (error or "").strip().splitlines()[0] if (error or "").strip() else "no detail"
    return line if len(line) <= ERROR_CHARS else f"{line[:ERROR_CHARS - 1]}…"


def scraper_states() -> list[dict]:
    """Per source that has run: its latest finished run's status and error, and when it
    last succeeded. One query."""
    finished = ScrapeRun.objects.filter(source=OuterRef("source")) \
        .exclude(status=ScrapeRun.Status.RUNNING).order_by("-started_at", "-pk")
    return list(
        ScrapeRun.objects.filter(source__in=[*ADAPTERS, FX_SOURCE])
        .exclude(status=ScrapeRun.Status.RUNNING)
        .values("source")
        .annotate(last_success=Max("finished_at", filter=Q(status__in=SUCCESS)),
                  latest_status=Subquery(finished.values("status")[:1]),
                  latest_error=Subquery(finished.values("error")[:1]))
        .order_by("source"))


@register_probe("scrapers")
def scrapers_probe() -> ProbeResult:
    states = scraper_states()
    if not states:
        return ProbeResult(ServiceStatus.OPERATIONAL, None, "no price source has run yet")
    now = timezone.now()
    failed: list[str] = []
    stale: list[str] = []
    for state in states:
        source = state["source"]
        if state["latest_status"] == ScrapeRun.Status.FAILED:
            failed.append(f"{source} failed: {_short(state['latest_error'])}")
        elif state["last_success"] is None \
                or now - state["last_success"] > 2 * source_cadence(source):
            stale.append(f"{source} stale: no success since "
                         f"{state['last_success']:%Y-%m-%d %H:%M} UTC"
                         if state["last_success"] else f"{source} never succeeded")
    if len(failed) == len(states):
        return ProbeResult(ServiceStatus.DOWN, None, "; ".join(failed))
    if failed or stale:
        return ProbeResult(ServiceStatus.DEGRADED, None, "; ".join(failed + stale))
    return ProbeResult(ServiceStatus.OPERATIONAL, None,
                       f"{len(states)} source{'s' if len(states) != 1 else ''} up to date")
