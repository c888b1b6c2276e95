"""Writes for the unified notification feed. Every service is keyword-only.

Other apps record a notification through `notification_create`; the feed's read state for
price alerts is mirrored on the alert (`PriceAlert.read_at`), so marking an
`alert_triggered` item read here marks its alert read too, and the other way round
(`pricing.alerts.alert_notifications_mark_read`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework.exceptions import NotFound

from accounts.models import User
from messaging.models import Notification
from messaging.selectors import notification_list


def notification_create(*, user: User, kind: str, title: str, body: str = "",
                        data: dict[str, Any] | None = None) -> Notification:
    if kind not in Notification.Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    return Notification.objects.create(user=user, kind=kind, title=title[:200], body=body,
                                       data=data or {})


def _alert_ids(notifications: list[tuple[str, dict[str, Any]]]) -> set[int]:
    ids: set[int] = set()
    for kind, data in notifications:
        if kind == Notification.Kind.ALERT_TRIGGERED and isinstance(data, dict):
            alert_id = data.get("alert_id")
            if isinstance(alert_id, int):
                ids.add(alert_id)
    return ids


def _mirror_alerts_read(*, user: User, alert_ids: set[int] | None) -> None:
    # pricing imports messaging at module level; this direction is imported lazily.
    from pricing.alerts import alerts_mark_read

    alerts_mark_read(user=user, alert_ids=alert_ids, notifications=False)


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's items read (idempotent). Another user's item is a 404."""
    item = notification_list(user=user).filter(pk=notification_id).first()
    if item is None:
        raise NotFound("Notification not found")
    if not item.is_read:
        Notification.objects.filter(pk=item.pk).update(is_read=True)
        item.is_read = True
    alert_ids = _alert_ids([(item.kind, item.data)])
    if alert_ids:
        _mirror_alerts_read(user=user, alert_ids=alert_ids)
    return item


@transaction.atomic
def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread item of the user read; returns how many were unread."""
    marked = Notification.objects.filter(user=user, is_read=False).update(is_read=True)
    _mirror_alerts_read(user=user, alert_ids=None)
    return marked


def notifications_mark_read_for_alerts(*, user: User, alert_ids: set[int] | None) -> int:
    """Mark the feed items of these triggered alerts read (all alert items when None)."""
    items = Notification.objects.filter(user=user, kind=Notification.Kind.ALERT_TRIGGERED,
                                        is_read=False)
    if alert_ids is not None:
        if not alert_ids:
            return 0
        items = items.filter(data__alert_id__in=sorted(alert_ids))
    return items.update(is_read=True)
