"""Health, stats and the stats page; the counts registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from accounts.tests.factories import UserFactory
from csm import __version__
from csm import selectors as csm_selectors
from csm.selectors import (
    STATS_KEYS,
    platform_counts_collect,
    platform_counts_forget,
    platform_tcg_counts_collect,
)

ROOT = Path(settings.BASE_DIR)
UNREACHABLE_DB = "postgresql://postgres@127.0.0.1:1/nowhere"


def run_in_fresh_process(path: str, **env: str) -> tuple[int, dict]:
    """GET `path` through the whole stack in a new Python process with `env` applied."""
    code = (
        "import json, django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        f"r = Client().get({path!r})\n"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "csm.settings", **env}, check=False)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    return out["status"], out["body"]


# --- /health and /healthz ---------------------------------------------------------------------

@pytest.mark.django_db
def test_health_is_ok_without_touching_the_database(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


@pytest.mark.django_db
def test_healthz_reports_the_database(api_client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": True}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/", "/healthz/", "/api/health/", "/api/stats/"])
def test_trailing_slash_is_accepted(api_client, path):
    assert api_client.get(path).status_code == 200


@pytest.mark.django_db
def test_health_endpoints_are_not_throttled(api_client, settings):
    settings.CSM_ANON_RATE_PER_MINUTE = 2
    for _ in range(5):
        assert api_client.get("/health").status_code == 200
        assert api_client.get("/healthz").status_code == 200
    statuses = [api_client.get("/api/health").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/plain"])
def test_health_answers_json_whatever_the_accept_header(api_client, accept):
    for path in ("/health", "/healthz"):
        response = api_client.get(path, HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_health_ignores_a_bad_api_key(api_client):
    """No authentication runs, so monitoring with a stale key still gets an answer."""
    response = api_client.get("/healthz", HTTP_AUTHORIZATION="Bearer csm_revoked")
    assert response.status_code == 200


def test_healthz_is_503_when_the_database_is_unreachable():
    status, body = run_in_fresh_process("/healthz", DATABASE_URL=UNREACHABLE_DB)
    assert status == 503
    assert body == {"status": "degraded", "db": False}


def test_health_stays_200_when_the_database_is_unreachable():
    status, body = run_in_fresh_process("/health", DATABASE_URL=UNREACHABLE_DB)
    assert (status, body) == (200, {"status": "ok"})


def test_api_health_is_degraded_when_the_database_is_unreachable():
    status, body = run_in_fresh_process("/api/health", DATABASE_URL=UNREACHABLE_DB)
    assert status == 503
    assert body == {"status": "degraded", "cards": 0, "prices": 0, "users": 0, "sellers": 0,
                    "active_alerts": 0, "db_size_mb": None, "version": __version__}


# --- /api/health ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_health_counts_users_and_sellers(api_client):
    UserFactory.create_batch(3)
    UserFactory.create_batch(2, is_seller=True)
    body = api_client.get("/api/health").json()
    assert set(body) == {"status", "cards", "prices", "users", "sellers", "active_alerts",
                         "db_size_mb", "version"}
    assert body["status"] == "ok"
    assert (body["users"], body["sellers"]) == (5, 2)
    assert body["version"] == __version__ == "1.0.0"
    assert isinstance(body["db_size_mb"], float)
    assert body["db_size_mb"] > 0
    assert round(body["db_size_mb"], 2) == body["db_size_mb"]


@pytest.mark.django_db
def test_api_health_counts_are_cached_for_a_minute(api_client):
    UserFactory()
    assert api_client.get("/api/health").json()["users"] == 1
    UserFactory()
    assert api_client.get("/api/health").json()["users"] == 1
    platform_counts_forget()
    assert api_client.get("/api/health").json()["users"] == 2


@pytest.mark.django_db
def test_database_size_matches_the_backend():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            expected = pages * cursor.fetchone()[0]
        else:
            cursor.execute("SELECT pg_database_size(current_database())")
            expected = cursor.fetchone()[0]
    assert csm_selectors.database_size_mb() == round(expected / 1024 / 1024, 2)


# --- The counts registry ------------------------------------------------------------------------

def test_unreported_keys_are_zero():
    counts = platform_counts_collect(hooks=[lambda: {"cards": 7}])
    assert list(counts)[:len(STATS_KEYS)] == list(STATS_KEYS)
    assert counts["cards"] == 7
    assert all(v == 0 for k, v in counts.items() if k != "cards")


def test_extra_keys_from_an_app_are_kept():
    counts = platform_counts_collect(hooks=[lambda: {"scans": 3}, lambda: {"prices": 2}])
    assert counts["scans"] == 3
    assert counts["prices"] == 2


def test_per_tcg_rows_are_merged_by_slug_and_never_invented():
    catalogue = lambda: {"pokemon": {"name": "Pokémon", "cards": 10},  # noqa: E731
                         "mtg": {"name": "Magic", "cards": 5}}
    pricing = lambda: {"pokemon": {"prices": 99}}  # noqa: E731
    rows = platform_tcg_counts_collect(hooks=[catalogue, pricing])
    assert rows == [{"slug": "pokemon", "name": "Pokémon", "cards": 10, "prices": 99},
                    {"slug": "mtg", "name": "Magic", "cards": 5}]
    assert platform_tcg_counts_collect(hooks=[]) == []


@pytest.fixture
def accounts_selectors_hooks(monkeypatch):
    """Replace pricing's registry hooks with fixed figures; accounts reports users and
    sellers, the catalogue cards and TCGs."""
    import pricing.selectors

    monkeypatch.setattr(pricing.selectors, "platform_counts",
                        lambda: {"prices": 1000, "active_alerts": 3})
    monkeypatch.setattr(pricing.selectors, "platform_tcg_counts",
                        lambda: {"pokemon": {"prices": 1000}})
    csm_selectors._app_hooks.cache_clear()
    cache.clear()
    yield
    monkeypatch.undo()
    csm_selectors._app_hooks.cache_clear()


@pytest.mark.django_db
def test_registry_discovers_hooks_in_installed_apps(api_client, accounts_selectors_hooks):
    UserFactory(is_seller=True)
    health = api_client.get("/api/health").json()
    assert (health["cards"], health["prices"], health["active_alerts"], health["users"],
            health["sellers"]) == (0, 1000, 3, 1, 1)
    detailed = api_client.get("/api/stats/detailed").json()
    pokemon = next(row for row in detailed["tcgs"] if row["slug"] == "pokemon")
    # Figures for one slug from several apps are merged into one row.
    assert pokemon == {"slug": "pokemon", "prices": 1000, "name": "Pokémon TCG", "sets": 0,
                       "cards": 0}
    assert detailed["totals"]["prices"] == 1000


# --- /api/stats -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_stats_reports_every_key_with_real_counts(api_client):
    UserFactory.create_batch(2)
    UserFactory(is_seller=True)
    body = api_client.get("/api/stats").json()
    assert set(STATS_KEYS) <= set(body)
    assert (body["users"], body["sellers"]) == (3, 1)
    assert all(isinstance(v, int) for v in body.values())


@pytest.mark.django_db
def test_stats_detailed_has_no_invented_games(api_client):
    UserFactory()
    body = api_client.get("/api/stats/detailed").json()
    assert set(body) == {"totals", "tcgs"}
    assert body["totals"]["users"] == 1
    assert body["tcgs"] == [row for row in platform_tcg_counts_collect()]


# --- /stats and the page ------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("headers", "target"), [
    ({}, "/en/stats/"),
    ({"HTTP_ACCEPT_LANGUAGE": "nl-NL,nl;q=0.9"}, "/nl/stats/"),
    ({"HTTP_ACCEPT_LANGUAGE": "nl", "HTTP_ACCEPT": "text/html"}, "/nl/stats/"),
    ({"HTTP_ACCEPT_LANGUAGE": "de"}, "/en/stats/"),
])
def test_stats_redirects_to_the_localised_page(client, headers, target):
    response = client.get("/stats", **headers)
    assert response.status_code == 302
    assert response["Location"] == target


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "heading"), [("en", "Platform statistics"),
                                                   ("nl", "Platformstatistieken")])
def test_stats_page_shows_the_numbers(client, language, heading, django_assert_max_num_queries):
    UserFactory.create_batch(12)
    UserFactory.create_batch(3, is_seller=True)
    # Cold cache (counts are then cached for a minute): settings, users/sellers, the
    # catalogue's four totals and its per-TCG rows, pricing's prices, alerts and per-TCG
    # prices, plus the page's own reads.
    with django_assert_max_num_queries(13):
        response = client.get(f"/{language}/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert 'data-stat="users">15<' in html
    assert 'data-stat="sellers">3<' in html
    assert 'data-stat="cards">0<' in html
    assert "/api/stats/detailed" in html
    assert f"<h1>{heading}</h1>" in html


def test_pages_still_render_when_the_database_is_unreachable():
    """The layout reads platform settings; a dead database must not turn pages into 500s."""
    code = (
        "import django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "from django.conf import settings\n"
        "from django.test.utils import override_settings\n"
        "plain = 'django.contrib.staticfiles.storage.StaticFilesStorage'\n"
        "override_settings(STORAGES={**settings.STORAGES,\n"
        "                            'staticfiles': {'BACKEND': plain}}).enable()\n"
        "for path in ('/en/', '/nl/no-such-page/'):\n"
        "    r = Client(raise_request_exception=False).get(path)\n"
        "    print(path, r.status_code, b'<html' in r.content)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "csm.settings",
             "DATABASE_URL": UNREACHABLE_DB}, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["/en/ 200 True", "/nl/no-such-page/ 404 True"]
