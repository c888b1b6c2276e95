"""Background jobs of accounts."""

from __future__ import annotations

from celery import shared_task

from accounts.services import user_purge_pending_deletions


@shared_task(name="accounts.tasks.accounts_purge_deleted", acks_late=True,
             autoretry_for=(Exception,), retry_backoff=True, max_retries=3,
             soft_time_limit=10 * 60, time_limit=15 * 60)
def accounts_purge_deleted() -> int:
    """Hourly: hard-delete accounts whose 24 h deletion cooldown has passed. Idempotent."""
    return user_purge_pending_deletions()
