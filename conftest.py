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
