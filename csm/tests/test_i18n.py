"""Languages: the switch, the announcement banner, the unprefixed-URL redirect rule, the .po."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory

from csm.middleware import LanguageRedirectMiddleware
from csm.models import PlatformSettings
from csm.selectors import platform_settings_forget

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# --- Language switch ----------------------------------------------------------------------------

def _switch_form(body: str) -> tuple[str, str]:
    form = re.search(r'<form[^>]*action="/i18n/setlang/".*?</form>', body, re.S).group(0)
    language = re.search(r'name="language" value="([^"]+)"', form).group(1)
    next_url = re.search(r'name="next" value="([^"]+)"', form).group(1)
    return language, next_url


@pytest.mark.parametrize(("page", "target_language", "target"), [
    ("/en/", "nl", "/nl/"),
    ("/nl/", "en", "/en/"),
    ("/en/accounts/login/", "nl", "/nl/accounts/login/"),
    ("/nl/accounts/signup/?next=/nl/account/", "en", "/en/accounts/signup/?next=/nl/account/"),
])
def test_language_switch_lands_on_the_other_language(client: Client, page: str,
                                                     target_language: str, target: str) -> None:
    language, next_url = _switch_form(client.get(page, **HTML).content.decode())
    assert (language, next_url.replace("&amp;", "&")) == (target_language, target)
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == target
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == target_language


def test_language_cookie_steers_the_unprefixed_redirect(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "nl", "next": "/nl/"})
    response = client.get("/", **HTML)
    assert response.status_code == 302
    assert response["Location"] == "/nl/"


def test_dutch_page_after_switch_is_dutch(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "nl", "next": "/nl/"}, follow=True)
    body = response.content.decode()
    assert '<html lang="nl">' in body
    assert "Aanmelden" in body and "Registreren" in body


# --- Announcement banner ----------------------------------------------------------------------

def _set_announcement(en: str, nl: str) -> None:
    PlatformSettings.objects.update_or_create(
        pk=PlatformSettings.SINGLETON_ID,
        defaults={"site_announcement": en, "site_announcement_nl": nl})
    platform_settings_forget()


def test_no_banner_without_announcement(client: Client) -> None:
    _set_announcement("", "")
    assert 'class="announcement"' not in client.get("/en/", **HTML).content.decode()


def test_banner_shows_the_language_specific_announcement(client: Client) -> None:
    _set_announcement("Maintenance tonight", "Vanavond onderhoud")
    english = client.get("/en/", **HTML).content.decode()
    dutch = client.get("/nl/", **HTML).content.decode()
    assert 'class="announcement"' in english and "Maintenance tonight" in english
    assert "Vanavond onderhoud" not in english
    assert "Vanavond onderhoud" in dutch and "Maintenance tonight" not in dutch


def test_dutch_banner_falls_back_to_english(client: Client) -> None:
    _set_announcement("New sets added <b>today</b>", "")
    dutch = client.get("/nl/", **HTML).content.decode()
    assert "New sets added &lt;b&gt;today&lt;/b&gt;" in dutch


def test_banner_on_account_pages(client: Client) -> None:
    _set_announcement("Hello collectors", "Hallo verzamelaars")
    body = client.get("/nl/accounts/login/", **HTML).content.decode()
    assert "Hallo verzamelaars" in body


# --- Unprefixed URLs (spec: "Language redirects (302)") ---------------------------------------

@pytest.mark.parametrize(("path", "target"), [
    ("/", "/en/"),
    ("/account/", "/en/account/"),
    ("/accounts/login/", "/en/accounts/login/"),
    ("/account/?tab=keys", "/en/account/?tab=keys"),
])
def test_browser_get_of_unprefixed_page_redirects_to_english(client: Client, path: str,
                                                            target: str) -> None:
    response = client.get(path, **HTML)
    assert response.status_code == 302
    assert response["Location"] == target


@pytest.mark.parametrize(("path", "target"), [("/", "/nl/"), ("/account/", "/nl/account/")])
def test_browser_get_follows_accept_language(client: Client, path: str, target: str) -> None:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="nl-NL,nl;q=0.9,en;q=0.5", **HTML)
    assert response.status_code == 302
    assert response["Location"] == target


@pytest.mark.parametrize("path", [
    "/api/keys/", "/api/docs/", "/api/nothing-here", "/tcgs", "/tcgs/pokemon", "/decks",
    "/users/x", "/health", "/admin/", "/auth/me", "/seller/x", "/dl/x",
])
def test_contract_paths_never_redirect_to_a_language(client: Client, path: str) -> None:
    response = client.get(path, **HTML)
    location = response.get("Location", "")
    assert not (response.status_code == 302
                and location.startswith(("/en/", "/nl/"))), f"{path} → {location}"


def _through_language_redirect(request_kwargs: dict) -> HttpResponse | None:
    """The response of LanguageRedirectMiddleware alone; None when it passed the request on."""
    sentinel = HttpResponse("passed on")
    middleware = LanguageRedirectMiddleware(lambda request: sentinel)
    method = request_kwargs.pop("method", "get")
    request = getattr(RequestFactory(), method)(**request_kwargs)
    response = middleware(request)
    return None if response is sentinel else response


@pytest.mark.parametrize("path", ["/", "/account/", "/accounts/login/"])
@pytest.mark.parametrize("accept", ["*/*", "application/json", ""])
def test_non_browser_request_is_not_redirected_by_our_middleware(path: str, accept: str) -> None:
    assert _through_language_redirect({"path": path, "HTTP_ACCEPT": accept}) is None


def test_post_to_unprefixed_url_is_not_redirected_by_our_middleware() -> None:
    assert _through_language_redirect(
        {"path": "/account/", "method": "post", "HTTP_ACCEPT": "text/html"}) is None


def test_middleware_redirects_browser_get() -> None:
    response = _through_language_redirect({"path": "/account/", "HTTP_ACCEPT": "text/html"})
    assert response is not None
    assert (response.status_code, response["Location"]) == (302, "/en/account/")


def test_path_without_localised_page_is_not_redirected(client: Client) -> None:
    response = client.get("/pokemon/sets/1/stats", **HTML)
    assert not response.get("Location", "").startswith(("/en/", "/nl/"))


@pytest.mark.django_db
def test_catalogue_path_redirects_browsers_and_serves_json_to_clients(client: Client) -> None:
    """The spec's own example: /pokemon/sets is a page for browsers and JSON for the API."""
    browser = client.get("/pokemon/sets", **HTML)
    assert (browser.status_code, browser["Location"]) == (302, "/en/pokemon/sets")
    api = client.get("/pokemon/sets", HTTP_ACCEPT="application/json")
    assert api.status_code == 200 and "items" in api.json()


@pytest.mark.django_db
def test_an_endpoints_404_is_not_turned_into_a_redirect(client: Client) -> None:
    response = client.get("/pokemon/cards/999999", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Card not found"}


# --- Translations -------------------------------------------------------------------------------

PO_FILE = settings.BASE_DIR / "locale" / "nl" / "LC_MESSAGES" / "django.po"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed")
def test_dutch_catalogue_is_complete() -> None:
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null",
                             str(PO_FILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    stats = result.stderr.strip()
    assert "translated" in stats
    assert "untranslated" not in stats and "fuzzy" not in stats, stats


def test_dutch_catalogue_has_no_empty_or_fuzzy_entries() -> None:
    """Same check without gettext: every msgstr is filled in and nothing is fuzzy."""
    text = PO_FILE.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]  # the first block is the header
    assert entries
    for entry in entries:
        if entry.lstrip().startswith("#~"):
            continue  # obsolete
        assert "#, fuzzy" not in entry, entry
        msgstrs = re.findall(r'^msgstr(?:\[\d+\])? "(.*)"\n?((?:".*"\n?)*)', entry, re.M)
        assert msgstrs, entry
        for first, rest in msgstrs:
            assert first or rest.strip(), f"untranslated:\n{entry}"
