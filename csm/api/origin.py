"""CSRF protection for cookie-authenticated API writes.

Browsers label every cross-origin request with `Origin` (and `Sec-Fetch-Site`); an API write
that carries the session cookie and comes from another origin is refused. Clients that are not
browsers (curl, requests, the mobile app) send neither header, so the spec's cookie-jar
examples work without a CSRF token. HTML forms keep Django's token-based CSRF middleware.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_origin_reason(request: HttpRequest) -> str | None:
    """Why this unsafe request must be refused as cross-origin, or None if it may proceed."""
    own = f"{request.scheme}://{request.get_host()}".lower()
    trusted = {own, *(o.lower().rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS)}
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin == "null" or origin.lower().rstrip("/") not in trusted:
            return f"Cross-origin request from {origin} refused"
        return None
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site in ("cross-site", "same-site"):
        return "Cross-site request refused"
    referer = request.headers.get("Referer")
    if referer and request.is_secure() and _origin_of(referer) not in trusted:
        return "Cross-origin request refused (referer)"
    return None
