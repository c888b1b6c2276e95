"""The contract's ways to authenticate: session cookie, Bearer, X-API-Key and ?api_key=."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, User

pytestmark = pytest.mark.urls("accounts.tests.gating_urls")


@pytest.fixture
def free_key(user: User, make_key) -> tuple[ApiKey, str]:  # noqa: ANN001
    return make_key(user, tier="free")


def _assert_401(response, detail: str) -> None:  # noqa: ANN001
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_bearer_header(api_client: APIClient, user: User, free_key) -> None:  # noqa: ANN001
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {free_key[1]}")

    response = api_client.get("/t/auth")

    assert response.status_code == 200
    assert response.json()["user"] == user.username


def test_bearer_scheme_is_case_insensitive(api_client: APIClient, user: User,
                                           free_key) -> None:  # noqa: ANN001
    api_client.credentials(HTTP_AUTHORIZATION=f"bearer {free_key[1]}")

    assert api_client.get("/t/auth").json()["user"] == user.username


def test_x_api_key_header(api_client: APIClient, user: User, free_key) -> None:  # noqa: ANN001
    api_client.credentials(HTTP_X_API_KEY=free_key[1])

    response = api_client.get("/t/auth")

    assert response.status_code == 200
    assert response.json()["user"] == user.username


def test_query_parameter(api_client: APIClient, user: User, free_key) -> None:  # noqa: ANN001
    response = api_client.get("/t/auth", {"api_key": free_key[1]})

    assert response.status_code == 200
    assert response.json()["user"] == user.username


def test_session_cookie(session_client: APIClient, user: User) -> None:
    response = session_client.get("/t/auth")

    assert response.status_code == 200
    assert response.json()["user"] == user.username


def test_no_credentials_is_401(api_client: APIClient, db) -> None:  # noqa: ANN001
    _assert_401(api_client.get("/t/auth"), "Not authenticated")


def test_key_authentication_marks_last_use(api_client: APIClient, free_key) -> None:  # noqa: ANN001
    key, raw = free_key
    assert key.last_used_at is None

    api_client.get("/t/auth", HTTP_X_API_KEY=raw)

    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.parametrize("credentials", [
    {"HTTP_AUTHORIZATION": "Bearer csm_notarealkey"},
    {"HTTP_X_API_KEY": "csm_notarealkey"},
    {"HTTP_X_API_KEY": "sk_live_123"},
    {"HTTP_AUTHORIZATION": "Bearer " + "csm_" + "x" * 200},
])
def test_unknown_or_malformed_key_is_401(api_client: APIClient, db,  # noqa: ANN001
                                         credentials: dict[str, str]) -> None:
    _assert_401(api_client.get("/t/auth", **credentials), "Invalid API key")


def test_unknown_key_in_query_is_401(api_client: APIClient, db) -> None:  # noqa: ANN001
    _assert_401(api_client.get("/t/auth", {"api_key": "csm_nope"}), "Invalid API key")


def test_invalid_key_is_401_even_on_a_public_endpoint(api_client: APIClient,
                                                      db) -> None:  # noqa: ANN001
    _assert_401(api_client.get("/t/public", HTTP_X_API_KEY="csm_nope"), "Invalid API key")


def test_expired_key_is_401(api_client: APIClient, free_key) -> None:  # noqa: ANN001
    key, raw = free_key
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    _assert_401(api_client.get("/t/auth", HTTP_AUTHORIZATION=f"Bearer {raw}"),
                "API key expired")


def test_key_with_future_expiry_works(api_client: APIClient, free_key) -> None:  # noqa: ANN001
    key, raw = free_key
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() + timedelta(hours=1))

    assert api_client.get("/t/auth", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_revoked_key_is_401(api_client: APIClient, free_key) -> None:  # noqa: ANN001
    key, raw = free_key
    ApiKey.objects.filter(pk=key.pk).update(is_active=False, revoked_at=timezone.now())

    _assert_401(api_client.get("/t/auth", HTTP_X_API_KEY=raw), "Invalid API key")


def test_key_of_inactive_user_is_401(api_client: APIClient, user: User,
                                     free_key) -> None:  # noqa: ANN001
    User.objects.filter(pk=user.pk).update(is_active=False)

    _assert_401(api_client.get("/t/auth", HTTP_X_API_KEY=free_key[1]),
                "User inactive or deleted")


def test_key_of_inactive_user_is_401_on_public_endpoints_too(api_client: APIClient, user: User,
                                                             free_key) -> None:  # noqa: ANN001
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert api_client.get("/t/public", HTTP_X_API_KEY=free_key[1]).status_code == 401


def test_session_of_deactivated_user_is_anonymous(session_client: APIClient,
                                                  user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)

    _assert_401(session_client.get("/t/auth"), "Not authenticated")


def test_key_wins_over_a_session_cookie(session_client: APIClient, make_user,
                                        make_key) -> None:  # noqa: ANN001
    other = make_user()
    _key, raw = make_key(other)

    response = session_client.get("/t/auth", HTTP_X_API_KEY=raw)

    assert response.json()["user"] == other.username
    assert "X-RateLimit-Limit" in response.headers  # counted as key traffic
