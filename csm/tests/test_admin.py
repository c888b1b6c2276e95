"""The Django admin: every registered model's pages load; the special rules hold."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import ApiKey, Device, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from csm.models import AppRelease, Incident, PlatformSettings, StatusCheck
from csm.selectors import platform_settings_get
from marketplace.models import SellerProfile


@pytest.fixture
def superuser(db) -> User:  # noqa: ANN001
    return User.objects.create_superuser("root", "root@example.com", DEFAULT_PASSWORD)


@pytest.fixture
def admin_browser(superuser: User) -> Client:
    client = Client()
    assert client.login(username="root", password=DEFAULT_PASSWORD)
    return client


def admin_url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_our_models_are_registered():
    for model in (User, ApiKey, Device, SellerProfile, PlatformSettings, AppRelease,
                  StatusCheck, Incident):
        assert admin.site.is_registered(model), model


@pytest.mark.django_db
def test_every_changelist_and_add_page_loads(admin_browser, superuser, rf):
    request = rf.get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        assert admin_browser.get(admin_url(model, "changelist")).status_code == 200, model
        add = admin_browser.get(admin_url(model, "add"))
        expected = 200 if model_admin.has_add_permission(request) else 403
        assert add.status_code == expected, model


@pytest.mark.django_db
def test_changelists_show_rows(admin_browser, superuser):
    key_owner = UserFactory(username="keyowner")
    from accounts.services import api_key_create

    _key, raw = api_key_create(user=key_owner, name="ci", tier="free")
    Device.objects.create(user=key_owner, platform="ios", token="apns-token-123")
    SellerProfile.objects.create(user=key_owner, display_name="Key Cards", country="NL")
    AppRelease.objects.create(platform="android", version_name="1.10.0", version_code=21,
                              min_supported="1.8.0")
    StatusCheck.objects.create(target="database", status="operational", latency_ms=1.5)
    Incident.objects.create(target="redis", status="down", detail="refused")
    for model, text in ((User, "keyowner"), (ApiKey, "ci"), (Device, "apns-token-"),
                        (SellerProfile, "Key Cards"), (AppRelease, "1.10.0"),
                        (StatusCheck, "database"), (Incident, "refused")):
        page = admin_browser.get(admin_url(model, "changelist")).content.decode()
        assert text in page, model
    assert raw not in admin_browser.get(admin_url(ApiKey, "changelist")).content.decode()


@pytest.mark.django_db
def test_api_key_admin_never_shows_or_edits_the_secret(admin_browser):
    from accounts.services import api_key_create

    key, raw = api_key_create(user=UserFactory(), name="ci", tier="free")
    page = admin_browser.get(admin_url(ApiKey, "change", key.pk)).content.decode()
    assert raw not in page
    assert key.key_hash in page  # shown, read-only
    assert 'name="key_hash"' not in page
    assert admin_browser.get(admin_url(ApiKey, "add")).status_code == 403


@pytest.mark.django_db
def test_user_admin_creates_users_and_changes_passwords(admin_browser):
    response = admin_browser.post(admin_url(User, "add"), {
        "username": "newseller", "email": "new@example.com", "usable_password": "true",
        "password1": "a-long-password-1", "password2": "a-long-password-1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newseller")
    assert user.check_password("a-long-password-1")
    assert admin_browser.get(admin_url(User, "change", user.pk)).status_code == 200
    response = admin_browser.post(f"/admin/accounts/user/{user.pk}/password/", {
        "usable_password": "true", "password1": "another-password-2",
        "password2": "another-password-2"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-password-2")


@pytest.mark.django_db
def test_platform_settings_is_a_singleton(admin_browser, django_capture_on_commit_callbacks):
    assert admin_browser.get(admin_url(PlatformSettings, "add")).status_code == 200
    row = platform_settings_get()  # the row now exists (and is cached)
    assert admin_browser.get(admin_url(PlatformSettings, "add")).status_code == 403
    assert admin_browser.get(admin_url(PlatformSettings, "delete", row.pk)).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(admin_url(PlatformSettings, "change", row.pk), {
            "seller_fee_pct": "7.50", "buyer_protection_pct": "1.00", "min_payout_eur": "30",
            "site_announcement": "Welcome", "site_announcement_nl": "Welkom"})
    assert response.status_code == 302
    assert PlatformSettings.objects.count() == 1
    assert platform_settings_get().seller_fee_pct == 7.5  # the cached copy was dropped
    body = Client().get("/api/platform/settings?lang=nl").json()
    assert (body["seller_fee_pct"], body["site_announcement"]) == (7.5, "Welkom")


@pytest.mark.django_db
def test_platform_settings_admin_validates_ranges(admin_browser):
    row = platform_settings_get()
    response = admin_browser.post(admin_url(PlatformSettings, "change", row.pk), {
        "seller_fee_pct": "120", "buyer_protection_pct": "0", "min_payout_eur": "25",
        "site_announcement": "", "site_announcement_nl": ""})
    assert response.status_code == 200  # the form is shown again with the error
    row.refresh_from_db()
    assert row.seller_fee_pct == 5


@pytest.mark.django_db
def test_status_checks_are_read_only(admin_browser):
    check = StatusCheck.objects.create(target="database", status="operational")
    page = admin_browser.get(admin_url(StatusCheck, "change", check.pk))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    response = admin_browser.post(admin_url(StatusCheck, "change", check.pk),
                                  {"target": "x", "status": "down"})
    assert response.status_code == 403
    assert admin_browser.get(admin_url(StatusCheck, "delete", check.pk)).status_code == 403


@pytest.mark.django_db
def test_app_release_admin_adds_a_release(admin_browser):
    response = admin_browser.post(admin_url(AppRelease, "add"), {
        "platform": "ios", "version_name": "2.0.0", "version_code": "30",
        "min_supported": "1.9.0", "release_notes": "Big one", "is_published": "on",
        "published_at_0": "2026-01-01", "published_at_1": "10:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Client().get("/api/app/latest?platform=ios").json()["ios"]["version_code"] == 30


@pytest.mark.django_db
def test_user_admin_lowercases_a_mixed_case_username(admin_browser):
    response = admin_browser.post(admin_url(User, "add"), {
        "username": "MixedCase", "email": "mixed@example.com", "usable_password": "true",
        "password1": "a-long-password-1", "password2": "a-long-password-1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.filter(username="mixedcase").exists()
