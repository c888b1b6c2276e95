"""Platform settings, the mobile-app manifest and the OpenAPI schema of csm's endpoints."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from csm.models import AppRelease, PlatformSettings
from csm.selectors import SETTINGS_CACHE_KEY, platform_settings_get
from csm.services import platform_settings_update

URL = "/api/platform/settings"


@pytest.fixture
def admin_client(api_client):
    api_client.force_authenticate(UserFactory(is_staff=True))
    return api_client


# --- GET /api/platform/settings -----------------------------------------------------------------

@pytest.mark.django_db
def test_settings_defaults_are_numbers(api_client):
    response = api_client.get(URL)
    assert response.status_code == 200
    assert response.content.decode().replace(" ", "") == (
        '{"seller_fee_pct":5.0,"buyer_protection_pct":0.0,"min_payout_eur":25.0,'
        '"site_announcement":null}')


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "headers", "expected"), [
    ("", {}, "Maintenance tonight"),
    ("", {"HTTP_ACCEPT_LANGUAGE": "nl-NL,nl;q=0.9"}, "Onderhoud vanavond"),
    ("?lang=nl", {}, "Onderhoud vanavond"),
    ("?lang=en", {"HTTP_ACCEPT_LANGUAGE": "nl"}, "Maintenance tonight"),
])
def test_announcement_follows_the_language(api_client, query, headers, expected):
    platform_settings_update(changes={"site_announcement": "Maintenance tonight",
                                      "site_announcement_nl": "Onderhoud vanavond"})
    assert api_client.get(URL + query, **headers).json()["site_announcement"] == expected


@pytest.mark.django_db
def test_dutch_falls_back_to_english(api_client):
    platform_settings_update(changes={"site_announcement": "Maintenance tonight"})
    body = api_client.get(URL + "?lang=nl").json()
    assert body["site_announcement"] == "Maintenance tonight"


@pytest.mark.django_db
def test_unknown_lang_is_422(api_client):
    response = api_client.get(URL + "?lang=de")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "lang"]


# --- PATCH /api/platform/settings ----------------------------------------------------------------

@pytest.mark.django_db
def test_patch_needs_login(api_client):
    response = api_client.patch(URL, {"seller_fee_pct": 4}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


@pytest.mark.django_db
def test_patch_needs_admin(session_client):
    response = session_client.patch(URL, {"seller_fee_pct": 4}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Admin access required"}
    assert platform_settings_get().seller_fee_pct == Decimal("5.00")


@pytest.mark.django_db
def test_admin_patch_updates_and_the_next_read_sees_it(admin_client,
                                                       django_capture_on_commit_callbacks):
    assert admin_client.get(URL).json()["seller_fee_pct"] == 5.0  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.patch(URL, {"seller_fee_pct": 3.5, "min_payout_eur": "10",
                                            "site_announcement": "  Hello  "}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["seller_fee_pct"] == 3.5
    assert body["min_payout_eur"] == 10.0
    assert body["site_announcement"] == "Hello"
    assert body["site_announcement_nl"] is None
    assert "updated_at" in body
    public = admin_client.get(URL).json()
    assert public == {"seller_fee_pct": 3.5, "buyer_protection_pct": 0.0,
                      "min_payout_eur": 10.0, "site_announcement": "Hello"}
    row = PlatformSettings.objects.get()
    assert (row.seller_fee_pct, row.min_payout_eur) == (Decimal("3.50"), Decimal("10.00"))


@pytest.mark.django_db
def test_admin_can_clear_the_announcement(admin_client, django_capture_on_commit_callbacks):
    platform_settings_update(changes={"site_announcement": "Hello"})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.patch(URL, {"site_announcement": None}, format="json")
    assert response.status_code == 200
    assert admin_client.get(URL).json()["site_announcement"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "field"), [
    ({"seller_fee_pct": 150}, "seller_fee_pct"),
    ({"seller_fee_pct": -1}, "seller_fee_pct"),
    ({"buyer_protection_pct": 100.01}, "buyer_protection_pct"),
    ({"seller_fee_pct": "abc"}, "seller_fee_pct"),
    ({"seller_fee_pct": 5.123}, "seller_fee_pct"),
    ({"min_payout_eur": -0.01}, "min_payout_eur"),
    ({"site_announcement": "x" * 501}, "site_announcement"),
])
def test_admin_patch_rejects_invalid_values(admin_client, body, field):
    response = admin_client.patch(URL, body, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert platform_settings_get().seller_fee_pct == Decimal("5.00")


@pytest.mark.django_db
def test_admin_patch_accepts_the_bounds(admin_client):
    response = admin_client.patch(URL, {"seller_fee_pct": 100, "buyer_protection_pct": 0,
                                        "min_payout_eur": 0}, format="json")
    assert response.status_code == 200
    assert (response.json()["seller_fee_pct"], response.json()["min_payout_eur"]) == (100.0, 0.0)


@pytest.mark.django_db
def test_patch_body_must_be_an_object(admin_client):
    response = admin_client.patch(URL, "[1]", content_type="application/json")
    assert response.status_code == 400


# --- platform_settings_update ------------------------------------------------------------------

@pytest.mark.django_db
def test_cache_is_forgotten_only_after_commit(django_capture_on_commit_callbacks):
    platform_settings_get()
    assert cache.get(SETTINGS_CACHE_KEY) is not None
    with django_capture_on_commit_callbacks() as callbacks:
        platform_settings_update(changes={"seller_fee_pct": Decimal("4")})
        assert cache.get(SETTINGS_CACHE_KEY).seller_fee_pct == Decimal("5.00")
    assert len(callbacks) == 1
    callbacks[0]()
    assert cache.get(SETTINGS_CACHE_KEY) is None
    assert platform_settings_get().seller_fee_pct == Decimal("4.00")


@pytest.mark.django_db
def test_update_rejects_unknown_fields_and_invalid_values():
    with pytest.raises(ValueError, match="updated_at"):
        platform_settings_update(changes={"updated_at": timezone.now()})
    with pytest.raises(ValidationError):
        platform_settings_update(changes={"seller_fee_pct": Decimal("101")})
    assert platform_settings_get().seller_fee_pct == Decimal("5.00")


# --- GET /api/app/latest ------------------------------------------------------------------------

def release(platform: str, code: int, **kwargs) -> AppRelease:
    return AppRelease.objects.create(platform=platform, version_code=code,
                                     version_name=kwargs.pop("name", f"1.{code}.0"),
                                     min_supported=kwargs.pop("min_supported", "1.0.0"),
                                     **kwargs)


@pytest.mark.django_db
def test_app_latest_without_releases(api_client):
    response = api_client.get("/api/app/latest")
    assert response.status_code == 200
    assert response.json() == {"android": None, "ios": None}


@pytest.mark.django_db
def test_app_latest_picks_the_highest_published_code(api_client):
    now = timezone.now()
    release("android", 20, release_notes="old")
    release("android", 21, name="1.10.0", min_supported="1.8.0", release_notes="Scanner fixes")
    release("android", 22, is_published=False)
    release("android", 23, published_at=now + timedelta(days=1))
    release("ios", 19)
    body = api_client.get("/api/app/latest").json()
    assert body["android"]["version_name"] == "1.10.0"
    assert body["android"]["version_code"] == 21
    assert body["android"]["min_supported"] == "1.8.0"
    assert body["android"]["release_notes"] == "Scanner fixes"
    assert set(body["android"]) == {"version_name", "version_code", "min_supported",
                                    "release_notes", "published_at"}
    assert body["ios"]["version_code"] == 19


@pytest.mark.django_db
def test_app_latest_for_one_platform(api_client):
    release("ios", 5)
    release("android", 9)
    assert api_client.get("/api/app/latest?platform=ios").json() == {
        "ios": api_client.get("/api/app/latest").json()["ios"]}
    assert list(api_client.get("/api/app/latest?platform=android").json()) == ["android"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["windows", "", "ANDROID"])
def test_app_latest_rejects_an_unknown_platform(api_client, value):
    response = api_client.get(f"/api/app/latest?platform={value}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "platform"]


# --- OpenAPI -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_every_endpoint_is_in_the_schema_with_a_response(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        ("/health", "get"), ("/healthz", "get"), ("/api/health", "get"), ("/api/stats", "get"),
        ("/api/stats/detailed", "get"), ("/stats", "get"), ("/api/status/checks", "get"),
        ("/api/status/incidents", "get"), ("/api/platform/settings", "get"),
        ("/api/platform/settings", "patch"), ("/api/app/latest", "get"),
        ("/api/devices/register", "post"), ("/api/devices/register", "delete"),
    }
    def normalise(path: str) -> str:
        return path.replace("/?$", "").rstrip("/") or "/"

    found = {(normalise(p), m) for p, ops in paths.items() for m in ops}
    assert expected <= found, expected - found
    for path, ops in paths.items():
        for method, op in ops.items():
            if (normalise(path), method) in expected and method != "delete":
                codes = set(op["responses"])
                assert codes & {"200", "201", "302"}, (path, method)
    healthz = next(ops for p, ops in paths.items() if normalise(p) == "/healthz")["get"]
    assert {"200", "503"} <= set(healthz["responses"])
