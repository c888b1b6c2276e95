"""Every scheduled job names a registered Celery task with arguments it accepts."""

from __future__ import annotations

import inspect

from django.conf import settings

from csm.celery import app


def test_every_beat_entry_is_a_registered_task() -> None:
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = app.tasks.get(entry["task"])
        assert task is not None, f"{name}: {entry['task']} is not a registered task"
        signature = inspect.signature(task.run)
        signature.bind(*entry.get("args", ()), **entry.get("kwargs", {}))
