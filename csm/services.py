"""Writes for platform-wide data: settings and the status page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from csm.models import Incident, PlatformSettings, ServiceStatus, StatusCheck
from csm.selectors import platform_settings_forget
from csm.status import ProbeResult, run_probes

STATUS_CHECK_RETENTION = timedelta(days=7)
PLATFORM_SETTINGS_FIELDS = frozenset({
    "seller_fee_pct", "buyer_protection_pct", "min_payout_eur", "site_announcement",
    "site_announcement_nl",
})
_TROUBLE = {ServiceStatus.DEGRADED, ServiceStatus.DOWN}


def platform_settings_update(*, changes: dict[str, Any]) -> PlatformSettings:
    """Apply `changes` to the settings row (validated by the model); the cache is dropped
    after commit so no process keeps serving the old values."""
    unknown = set(changes) - PLATFORM_SETTINGS_FIELDS
    if unknown:
        raise ValueError(f"Not platform settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        PlatformSettings.objects.get_or_create(pk=PlatformSettings.SINGLETON_ID)
        row = PlatformSettings.objects.select_for_update().get(pk=PlatformSettings.SINGLETON_ID)
        for name, value in changes.items():
            setattr(row, name, "" if value is None and name.startswith("site_") else value)
        row.full_clean()
        row.save()
        transaction.on_commit(platform_settings_forget)
    return row


def status_checks_record(*, now: datetime | None = None,
                         results: dict[str, ProbeResult] | None = None) -> list[StatusCheck]:
    """Run every probe (unless `results` are given), store one StatusCheck per target, open an
    Incident when a target turns degraded/down and resolve it when it is operational again,
    and prune checks older than a week."""
    results = run_probes() if results is None else results
    now = now or timezone.now()
    with transaction.atomic():
        checks = StatusCheck.objects.bulk_create([
            StatusCheck(target=target, status=result.status, latency_ms=result.latency_ms,
                        detail=result.detail, checked_at=now)
            for target, result in results.items()
        ])
        open_incidents = {
            incident.target: incident for incident in
            Incident.objects.select_for_update().order_by("pk")
            .filter(target__in=list(results), resolved_at__isnull=True)
        }
        for target, result in results.items():
            _incident_transition(target, result, open_incidents.get(target), now)
        StatusCheck.objects.filter(checked_at__lt=now - STATUS_CHECK_RETENTION).delete()
    return checks


def _incident_transition(target: str, result: ProbeResult, incident: Incident | None,
                         now: datetime) -> None:
    if result.status in _TROUBLE:
        if incident is None:
            try:
                with transaction.atomic():
                    Incident.objects.create(target=target, status=result.status,
                                            detail=result.detail, started_at=now)
            except IntegrityError:
                pass  # a concurrent run opened it first (one open incident per target)
        elif result.status == ServiceStatus.DOWN and incident.status != ServiceStatus.DOWN:
            # Same incident, escalated: it keeps the worst state seen while open.
            incident.status, incident.detail = result.status, result.detail
            incident.save(update_fields=["status", "detail"])
    elif result.status == ServiceStatus.OPERATIONAL and incident is not None:
        incident.resolved_at = now
        incident.save(update_fields=["resolved_at"])
