from __future__ import annotations

from django.core.cache import cache

from csm.models import PlatformSettings

SETTINGS_CACHE_KEY = "csm:platform-settings:v1"


def platform_settings_get() -> PlatformSettings:
    """The platform settings row (created with defaults on first use), cached."""
    cached = cache.get(SETTINGS_CACHE_KEY)
    if cached is not None:
        return cached
    obj, _created = PlatformSettings.objects.get_or_create(pk=PlatformSettings.SINGLETON_ID)
    cache.set(SETTINGS_CACHE_KEY, obj, 300)
    return obj


def platform_settings_forget() -> None:
    cache.delete(SETTINGS_CACHE_KEY)
