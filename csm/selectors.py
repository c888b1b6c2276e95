"""Reads for platform-wide data: settings, counts from every app, status checks, releases.

Platform counts come from a registry: any installed app may define, in its `selectors.py`,

- `platform_counts() -> dict[str, int]`: totals it owns, under the keys in STATS_KEYS
  (e.g. catalogue: `tcgs`, `sets`, `cards`; pricing: `prices`, `active_alerts`), and
- `platform_tcg_counts() -> dict[str, dict]`: per-TCG figures keyed by TCG slug
  (catalogue: `{"pokemon": {"slug": ..., "name": ..., "sets": ..., "cards": ...}}`;
  pricing: `{"pokemon": {"prices": ...}}`); figures for the same slug are merged.

Keys no app reports are 0. A per-TCG row exists only if some app reports that TCG.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from functools import cache as memoize
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from csm.models import AppRelease, Incident, PlatformSettings, StatusCheck

SETTINGS_CACHE_KEY = "csm:platform-settings:v1"
COUNTS_CACHE_KEY = "csm:platform-counts:v1"
COUNTS_CACHE_SECONDS = 60

# Every key /api/stats reports, in this order; apps fill them in through platform_counts().
STATS_KEYS: tuple[str, ...] = (
    "users", "sellers", "tcgs", "sets", "cards", "sealed_products", "prices", "active_alerts",
    "listings", "active_listings", "collection_entries", "decks", "forum_threads",
    "forum_posts",
)
# The subset /api/health reports (the spec's shape).
HEALTH_KEYS: tuple[str, ...] = ("cards", "prices", "users", "sellers", "active_alerts")


# --- Platform settings ------------------------------------------------------------------------

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


def platform_settings_announcement(settings_row: PlatformSettings, language: str) -> str | None:
    """The announcement for `language` (Dutch falls back to English); None when empty."""
    text = ""
    if language.split("-")[0] == "nl":
        text = settings_row.site_announcement_nl.strip()
    text = text or settings_row.site_announcement.strip()
    return text or None


# --- Counts registry --------------------------------------------------------------------------

@memoize
def _app_hooks(name: str) -> tuple[Callable[[], Any], ...]:
    """Each installed app's `selectors.<name>` function, in INSTALLED_APPS order."""
    hooks: list[Callable[[], Any]] = []
    for config in apps.get_app_configs():
        if config.name == "csm":
            continue  # this module collects; it does not report
        module_name = f"{config.name}.selectors"
        if importlib.util.find_spec(module_name) is None:
            continue
        hook = getattr(importlib.import_module(module_name), name, None)
        if callable(hook):
            hooks.append(hook)
    return tuple(hooks)


def count_hooks() -> tuple[Callable[[], dict[str, int]], ...]:
    return _app_hooks("platform_counts")


def tcg_count_hooks() -> tuple[Callable[[], dict[str, dict[str, Any]]], ...]:
    return _app_hooks("platform_tcg_counts")


def platform_counts_collect(hooks: Iterable[Callable[[], dict[str, int]]] | None = None
                            ) -> dict[str, int]:
    """Totals from every registered hook; STATS_KEYS first (0 if unreported), extra keys after."""
    counts: dict[str, int] = dict.fromkeys(STATS_KEYS, 0)
    for hook in count_hooks() if hooks is None else hooks:
        for key, value in hook().items():
            counts[key] = int(value or 0)
    return counts


def platform_tcg_counts_collect(
        hooks: Iterable[Callable[[], dict[str, dict[str, Any]]]] | None = None
) -> list[dict[str, Any]]:
    """Per-TCG rows merged by slug, in the order the first app reported them."""
    rows: dict[str, dict[str, Any]] = {}
    for hook in tcg_count_hooks() if hooks is None else hooks:
        for slug, figures in hook().items():
            rows.setdefault(slug, {"slug": slug}).update(figures)
    return list(rows.values())


def platform_totals() -> dict[str, int]:
    """platform_counts_collect(), cached for a minute (counting millions of rows is not free)."""
    counts = cache.get(COUNTS_CACHE_KEY)
    if counts is None:
        counts = platform_counts_collect()
        cache.set(COUNTS_CACHE_KEY, counts, COUNTS_CACHE_SECONDS)
    return counts


def platform_tcg_totals() -> list[dict[str, Any]]:
    key = f"{COUNTS_CACHE_KEY}:tcgs"
    rows = cache.get(key)
    if rows is None:
        rows = platform_tcg_counts_collect()
        cache.set(key, rows, COUNTS_CACHE_SECONDS)
    return rows


def platform_counts_forget() -> None:
    cache.delete_many([COUNTS_CACHE_KEY, f"{COUNTS_CACHE_KEY}:tcgs"])


# --- Database ---------------------------------------------------------------------------------

def database_ping() -> None:
    """`SELECT 1` on a fresh cursor; raises django.db.Error when the database is unreachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def database_size_mb() -> float | None:
    """Size of the current database in MB (2 decimals); None for an unsupported backend."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            size = pages * cursor.fetchone()[0]
        else:
            return None
    return round(size / (1024 * 1024), 2)


# --- Status page ------------------------------------------------------------------------------

def status_check_latest(*, targets: Iterable[str]) -> list[StatusCheck]:
    """The newest StatusCheck of each target, in the order of `targets`."""
    targets = list(targets)
    newest = (StatusCheck.objects.filter(target=OuterRef("target"))
              .order_by("-checked_at", "-pk").values("pk")[:1])
    rows = {row.target: row for row in
            StatusCheck.objects.filter(target__in=targets, pk=Subquery(newest))}
    return [rows[t] for t in targets if t in rows]


def incident_list() -> QuerySet[Incident]:
    return Incident.objects.order_by("-started_at", "-pk")


# --- Mobile app releases ------------------------------------------------------------------------

def app_release_latest(*, platform: str, now: Any = None) -> AppRelease | None:
    """The published release of `platform` with the highest version code (already live)."""
    return (AppRelease.objects
            .filter(platform=platform, is_published=True,
                    published_at__lte=now or timezone.now())
            .order_by("-version_code").first())
