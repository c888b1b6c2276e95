"""Shared fixtures for every app's tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import ApiKey, User
from accounts.services import api_key_create
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory


@pytest.fixture(scope="session", autouse=True)
def _end_stray_test_db_sessions(django_db_setup, django_db_blocker) -> Iterator[None]:  # noqa: ANN001
    """Live-server request threads may still hold a keep-alive connection when the session
    ends; end those PostgreSQL sessions so the test database can be dropped."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(autouse=True)
def _isolated_counters(settings) -> None:  # noqa: ANN001
    """Fresh quota namespace and cache per test, so counters never leak between tests."""
    namespace = f"test-{uuid.uuid4().hex}"
    settings.CSM_QUOTA_PREFIX = namespace
    if settings.REDIS_URL:
        # Never flush a shared Redis database: give the cache its own key prefix instead.
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": namespace}}
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """Tasks run in-process in tests even when REDIS_URL makes Redis the broker (no worker
    runs during the suite; a test that needs a real worker starts one itself)."""
    from csm.celery import app

    keys = ("task_always_eager", "task_eager_propagates")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(dict.fromkeys(keys, True))
    yield
    app.conf.update(saved)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:  # noqa: ANN001
    """PBKDF2's deliberate slowness buys nothing in tests; production keeps it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings) -> None:  # noqa: ANN001
    """Tests render templates without a collectstatic manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db) -> User:  # noqa: ANN001
    return UserFactory()


@pytest.fixture
def make_user(db) -> Callable[..., User]:  # noqa: ANN001
    return UserFactory


@pytest.fixture
def session_client(user: User) -> APIClient:
    """A client carrying `user`'s tcg_session cookie (the website / cookie-jar mode)."""
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def make_key(db) -> Callable[..., tuple[ApiKey, str]]:  # noqa: ANN001
    """make_key(user, tier="pro", name="k") -> (ApiKey, raw key). Upgrades the user if needed."""

    def _make(user: User, tier: str = "free", name: str = "test", **kwargs) -> tuple[ApiKey, str]:
        if user.tier != tier:
            User.objects.filter(pk=user.pk).update(tier=tier)
            user.refresh_from_db()
        return api_key_create(user=user, name=name, tier=tier, **kwargs)

    return _make


@pytest.fixture
def key_client(user: User, make_key) -> Callable[..., APIClient]:  # noqa: ANN001
    """key_client(tier="free") -> APIClient sending `Authorization: Bearer csm_…`."""

    def _client(tier: str = "free", owner: User | None = None) -> APIClient:
        _key, raw = make_key(owner or user, tier=tier)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return _client


class RecordedHttpServer:
    """A local HTTP server that replays recorded payloads (tests never reach the internet).

    `routes[path]` is `(status, body, content_type)` or a list of them (served in turn, the last
    one repeating); `path` may include the query string, which is tried first. GET and POST are
    served from the same routes; `requests` lists every path, `posts` every POST as
    `(path, body)` and `headers` every request's headers, in order.
    """

    def __init__(self) -> None:
        import http.server
        import threading

        self.routes: dict[str, object] = {}
        self.requests: list[str] = []
        self.posts: list[tuple[str, bytes]] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                server.posts.append((self.path, self.rfile.read(length)))
                self.do_GET()

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append(self.path)
                server.headers.append(dict(self.headers.items()))
                route = server.routes.get(self.path) or server.routes.get(
                    self.path.split("?", 1)[0])
                if isinstance(route, list):
                    route = route.pop(0) if len(route) > 1 else route[0]
                status, body, content_type = route or (404, b'{"error": "not found"}',
                                                        "application/json")
                if isinstance(body, str):
                    body = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def add_json(self, path: str, payload: object, status: int = 200) -> None:
        import json

        self.routes[path] = (status, json.dumps(payload), "application/json")

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def recorded_http() -> Iterator[RecordedHttpServer]:
    server = RecordedHttpServer()
    try:
        yield server
    finally:
        server.close()
