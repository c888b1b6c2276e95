"""The localised HTML shell: home, account pages, error pages, the "My account" page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from accounts.models import ApiKey, User

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


def test_home_renders_in_english(client: Client) -> None:
    response = client.get("/en/", **HTML)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Know what your cards are worth" in body
    assert "Twelve games" in body
    assert "Prices from six sources" in body


def test_home_renders_in_dutch(client: Client) -> None:
    response = client.get("/nl/", **HTML)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="nl">' in body
    assert "Weet wat je kaarten waard zijn" in body
    assert "Twaalf spellen" in body
    assert "Know what your cards are worth" not in body


@pytest.mark.parametrize("language", ["en", "nl"])
def test_home_links_all_resolve(client: Client, language: str) -> None:
    body = client.get(f"/{language}/", **HTML).content.decode()
    links = set(re.findall(r'href="(/[^"#]*)"', body))
    assert "/api/docs/" in links
    assert f"/{language}/accounts/signup/" in links
    for link in links:
        if link.startswith(settings.STATIC_URL):
            # Served by whitenoise from STATIC_ROOT after collectstatic; here: it must exist.
            assert finders.find(link.removeprefix(settings.STATIC_URL)), link
            continue
        status = client.get(link, **HTML).status_code
        assert status in (200, 301, 302), f"{link} answered {status}"


def test_home_query_count_anonymous(client: Client, django_assert_max_num_queries) -> None:
    client.get("/en/", **HTML)  # warm the platform settings cache
    with django_assert_max_num_queries(2):
        assert client.get("/en/", **HTML).status_code == 200


def test_home_query_count_signed_in(client: Client, user: User,
                                    django_assert_max_num_queries) -> None:
    client.force_login(user)
    client.get("/en/", **HTML)
    with django_assert_max_num_queries(3):
        response = client.get("/en/", **HTML)
    assert response.status_code == 200
    assert "My account" in response.content.decode()


@pytest.mark.parametrize(("language", "heading", "button"), [
    ("en", "Sign Up", "Sign up"),
    ("nl", "Registreren", "Registreren"),
])
def test_signup_page_renders_in_site_layout(client: Client, language: str, heading: str,
                                            button: str) -> None:
    response = client.get(f"/{language}/accounts/signup/", **HTML)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert 'class="site-header"' in body
    assert heading in body
    assert 'name="username"' in body and 'name="password1"' in body


@pytest.mark.parametrize(("language", "text"), [("en", "Sign In"), ("nl", "Aanmelden")])
def test_login_page_renders_in_site_layout(client: Client, language: str, text: str) -> None:
    response = client.get(f"/{language}/accounts/login/", **HTML)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="site-header"' in body
    assert text in body


@pytest.mark.parametrize("path", ["/en/accounts/password/reset/", "/nl/accounts/password/reset/"])
def test_password_reset_page_renders(client: Client, path: str) -> None:
    response = client.get(path, **HTML)
    assert response.status_code == 200
    assert 'class="site-header"' in response.content.decode()


def test_signup_through_the_form_logs_in(client: Client) -> None:
    response = client.post("/nl/accounts/signup/", {
        "username": "NewCollector", "email": "new@example.com",
        "password1": "a-long-secret-99", "password2": "a-long-secret-99",
    })
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.username == "newcollector"
    page = client.get("/nl/", **HTML).content.decode()
    assert "Mijn account" in page


def test_logout_is_a_post_form(client: Client, user: User) -> None:
    client.force_login(user)
    body = client.get("/en/", **HTML).content.decode()
    assert re.search(r'<form[^>]*method="post"[^>]*action="/en/accounts/logout/"', body)
    response = client.post("/en/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("path", "text"), [
    ("/en/no-such-page/", "Page not found"),
    ("/nl/no-such-page/", "Pagina niet gevonden"),
])
def test_missing_page_is_a_localised_404(client: Client, path: str, text: str) -> None:
    response = client.get(path, **HTML)
    assert response.status_code == 404
    assert text in response.content.decode()


# --- My account ---------------------------------------------------------------------------------

def test_account_requires_login(client: Client) -> None:
    response = client.get("/en/account/", **HTML)
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


@pytest.mark.parametrize(("language", "texts"), [
    ("en", ["My account", "Username", "Subscription", "Free", "API keys"]),
    ("nl", ["Mijn account", "Gebruikersnaam", "Abonnement", "Gratis", "API-sleutels"]),
])
def test_account_page_shows_profile(client: Client, user: User, language: str,
                                    texts: list[str]) -> None:
    client.force_login(user)
    response = client.get(f"/{language}/account/", **HTML)
    assert response.status_code == 200
    body = response.content.decode()
    assert user.username in body and user.email in body
    for text in texts:
        assert text in body


def test_account_page_query_count(client: Client, user: User, make_key,
                                  django_assert_max_num_queries) -> None:
    User.objects.filter(pk=user.pk).update(tier="pro")
    for n in range(3):
        make_key(user, tier="pro", name=f"k{n}")
    client.force_login(user)
    client.get("/en/account/", **HTML)
    with django_assert_max_num_queries(5):
        assert client.get("/en/account/", **HTML).status_code == 200


def test_create_key_shows_the_full_key_once(client: Client, user: User) -> None:
    client.force_login(user)
    response = client.post("/en/account/", {"action": "create", "name": "price bot",
                                            "tier": "free"})
    assert response.status_code == 200
    key = ApiKey.objects.get(user=user)
    body = response.content.decode()
    raw = re.search(r'value="(csm_[^"]+)"', body).group(1)
    assert raw.startswith(key.prefix)
    assert "no-store" in response["Cache-Control"]
    again = client.get("/en/account/", **HTML).content.decode()
    assert raw not in again
    assert key.prefix in again and "price bot" in again


def test_create_key_over_the_allowance_is_a_message_not_an_error(client: Client, user: User,
                                                                 make_key) -> None:
    make_key(user, tier="free", name="first")
    client.force_login(user)
    response = client.post("/en/account/", {"action": "create", "name": "second",
                                            "tier": "free"})
    assert response.status_code == 200
    assert 'class="message message-error"' in response.content.decode()
    assert ApiKey.objects.filter(user=user, is_active=True).count() == 1


def test_key_allowance_message_is_dutch_on_the_dutch_page(client: Client, user: User,
                                                           make_key) -> None:
    make_key(user, tier="free", name="first")
    client.force_login(user)
    response = client.post("/nl/account/", {"action": "create", "name": "second",
                                            "tier": "free"})
    assert "staat 1 actieve API-sleutel toe" in response.content.decode()


def test_create_key_of_a_higher_tier_is_refused(client: Client, user: User) -> None:
    client.force_login(user)
    response = client.post("/en/account/", {"action": "create", "name": "x", "tier": "pro"})
    assert response.status_code == 200
    assert not ApiKey.objects.filter(user=user).exists()


def test_revoke_key(client: Client, user: User, make_key) -> None:
    key, _raw = make_key(user, tier="free", name="old")
    client.force_login(user)
    response = client.post("/nl/account/", {"action": "revoke", "key_id": key.pk})
    assert response.status_code == 302
    assert response["Location"] == "/nl/account/"
    key.refresh_from_db()
    assert not key.is_active
    page = client.get("/nl/account/", **HTML).content.decode()
    assert "ingetrokken" in page


def test_revoke_someone_elses_key_is_refused(client: Client, user: User, make_user,
                                             make_key) -> None:
    other = make_user()
    key, _raw = make_key(other, tier="free")
    client.force_login(user)
    response = client.post(reverse("account"), {"action": "revoke", "key_id": key.pk},
                           follow=True)
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.is_active
    assert 'message-error' in response.content.decode()


def test_media_files_are_served_by_the_embedded_server(client: Client, settings, tmp_path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "x.webp").write_bytes(b"RIFF0000WEBP")
    response = client.get("/media/cards/x.webp")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"RIFF0000WEBP"
    assert client.get("/media/../secret_key").status_code in (400, 404)  # traversal refused
