from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import get_urlconf, is_valid_path
from django.utils import translation
from django.utils.cache import patch_vary_headers

# Paths the contract says never redirect, plus infrastructure paths.
NEVER_REDIRECT = ("/api/", "/tcgs", "/decks", "/users/", "/health", "/stats", "/admin/",
                  "/auth/", "/seller/", "/dl/", "/static/", "/media/", "/i18n/")


def wants_html(request: HttpRequest) -> bool:
    return "text/html" in request.headers.get("Accept", "")


class LanguageRedirectMiddleware:
    """A browser asking for an unprefixed HTML-style URL is sent (302) to its localised page.

    Only when the localised page exists; API clients (no text/html in Accept) get the JSON
    endpoint at the same path.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(f"/{code}/" for code, _name in settings.LANGUAGES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if (request.method in ("GET", "HEAD") and wants_html(request)
                and not path.startswith(self.prefixes)
                and path.rstrip("/") not in {p.rstrip("/") for p in self.prefixes}
                and not path.startswith(NEVER_REDIRECT)):
            language = translation.get_language_from_request(request, check_path=False)
            target = f"/{language}{path}"
            with translation.override(language):
                valid = is_valid_path(target, get_urlconf())
            if valid:
                query = request.META.get("QUERY_STRING", "")
                return HttpResponseRedirect(f"{target}?{query}" if query else target)
        return self.get_response(request)


class RateLimitHeadersMiddleware:
    """X-RateLimit-* on responses to requests the API limiter counted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        decision = getattr(request, "csm_quota", None)
        if decision is not None and decision.limit is not None:
            response["X-RateLimit-Limit"] = str(decision.limit)
            response["X-RateLimit-Remaining"] = str(decision.remaining)
            response["X-RateLimit-Reset"] = str(decision.reset)
        return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware, except that a 404 *answered by an endpoint* stays a 404.

    Django redirects every 404 on an unprefixed path to its localised twin when one exists;
    for `/pokemon/cards/999` that would send an API client's "Card not found" to an HTML page.
    Only paths that match no route at all (e.g. `/account/`) get Django's redirect.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        path = request.path_info
        if response.status_code == 404 and (
                path.startswith(NEVER_REDIRECT) or is_valid_path(path, get_urlconf())):
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", translation.get_language())
            return response
        return super().process_response(request, response)
