from __future__ import annotations

from celery import shared_task

from csm.services import status_checks_record


@shared_task(name="csm.tasks.status_checks_run", ignore_result=True,
             soft_time_limit=45, time_limit=55, expires=55)
def status_checks_run() -> int:
    """Beat runs this every minute; a late copy expires rather than piling up."""
    return len(status_checks_record())
