from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest

from csm import __version__


def site(request: HttpRequest) -> dict[str, object]:
    from csm.selectors import platform_settings_get

    try:
        settings_row = platform_settings_get()
    except DatabaseError:
        # Error pages must still render when the database is what failed.
        settings_row = None
    return {"csm_version": __version__, "platform_settings": settings_row}
