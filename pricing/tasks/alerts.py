"""Pricing tasks: the daily price-alert digest."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User
from pricing.digest import alert_digest_recipients, alert_digest_send

__all__ = ["alert_digest_send_user", "alert_digests_send"]


@shared_task(name="pricing.tasks.alert_digests_send", acks_late=True,
             soft_time_limit=10 * 60, time_limit=15 * 60)
def alert_digests_send() -> int:
    """Daily (beat): one digest task per opted-in user with triggered alerts not yet
    emailed. Returns how many were queued."""
    user_ids = alert_digest_recipients()
    for user_id in user_ids:
        alert_digest_send_user.delay(user_id)
    return len(user_ids)


@shared_task(name="pricing.tasks.alert_digest_send_user", acks_late=True,
             autoretry_for=(Exception,), retry_backoff=True, max_retries=5,
             soft_time_limit=2 * 60, time_limit=3 * 60)
def alert_digest_send_user(user_id: int) -> int:
    """Send one user's digest if they are still opted in. Idempotent: alerts already emailed
    are not listed again, and a failed send marks nothing."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    return alert_digest_send(user=user)
