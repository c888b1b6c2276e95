from __future__ import annotations

from django.http import HttpRequest

from csm import __version__


def site(request: HttpRequest) -> dict[str, object]:
    from csm.selectors import platform_settings_get

    return {"csm_version": __version__, "platform_settings": platform_settings_get()}
