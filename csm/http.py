"""A polite HTTP client for talking to real data sources (catalogue importers, price scrapers).

Every source gets: a timeout, a descriptive User-Agent, a minimum interval between requests,
and retries with exponential backoff on connection errors, 429 and 5xx (honouring Retry-After).
Base URLs are passed in, so tests point the same code at a local HTTP server.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from csm import __version__

USER_AGENT = f"CollectorsStashMarket/{__version__} (+self-hosted card price tracker)"
RETRY_STATUSES = {429, 500, 502, 503, 504}


class SourceError(Exception):
    """The source could not be read (after retries) or answered garbage."""


class PoliteClient:
    def __init__(self, base_url: str, *, min_interval: float = 0.2, timeout: float = 30,
                 retries: int = 4, backoff: float = 1.0, headers: dict[str, str] | None = None,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.min_interval = min_interval
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, **(headers or {})})
        self._lock = threading.Lock()
        self._last = 0.0

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _wait_turn(self) -> None:
        with self._lock:
            delay = self._last + self.min_interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._last = time.monotonic()

    def get(self, path: str, *, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> requests.Response:
        return self._request("GET", path, params=params, headers=headers)

    def post(self, path: str, *, data: dict[str, Any] | str | bytes | None = None,
             json: Any = None, params: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> requests.Response:
        """POST with the same timeout, pacing, retries and backoff as `get`. Retried on
        connection errors, 429 and 5xx, so use it only for idempotent requests (an OAuth
        token exchange, a search)."""
        return self._request("POST", path, params=params, data=data, json=json,
                             headers=headers)

    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 data: dict[str, Any] | str | bytes | None = None, json: Any = None,
                 headers: dict[str, str] | None = None) -> requests.Response:
        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            self._wait_turn()
            try:
                response = self.session.request(method, self.url(path), params=params,
                                                data=data, json=json, headers=headers,
                                                timeout=self.timeout)
            except requests.RequestException as exc:
                last_error = exc
            else:
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code >= 400:
                        raise SourceError(f"{method} {response.url} answered HTTP "
                                          f"{response.status_code}")
                    return response
                last_error = SourceError(f"{method} {response.url} answered HTTP "
                                         f"{response.status_code}")
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit() and attempt < self.retries:
                    time.sleep(min(int(retry_after), 60))
                    continue
            if attempt < self.retries:
                time.sleep(self.backoff * (2 ** attempt))
        raise SourceError(f"{method} {self.url(path)} failed after {self.retries + 1} "
                          f"attempts: {last_error}")

    def get_json(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        response = self.get(path, params=params)
        try:
            return response.json()
        except ValueError as exc:
            raise SourceError(f"GET {response.url} did not answer JSON") from exc
