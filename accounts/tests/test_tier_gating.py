"""Access tags: auth, starter+ (session cookies pass), pro+, admin."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.quotas import used_today
from accounts.services import api_key_create

pytestmark = pytest.mark.urls("accounts.tests.gating_urls")


@pytest.mark.parametrize("path", ["/t/auth", "/t/starter", "/t/pro", "/t/admin"])
def test_anonymous_is_401(api_client: APIClient, db, path: str) -> None:  # noqa: ANN001
    response = api_client.get(path)

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert "WWW-Authenticate" in response.headers


def test_public_endpoint_is_open(api_client: APIClient, db) -> None:  # noqa: ANN001
    assert api_client.get("/t/public").json() == {"ok": True, "user": None}


def test_starter_plus_refuses_a_free_key(key_client) -> None:  # noqa: ANN001
    response = key_client("free").get("/t/starter")

    assert response.status_code == 403
    assert response.json() == {"detail": "This endpoint requires the Starter tier or higher; "
                                         "your API key is on the Free tier."}


@pytest.mark.parametrize("tier", ["starter", "pro", "business", "unlimited"])
def test_starter_plus_accepts_starter_and_above(key_client, tier: str) -> None:  # noqa: ANN001
    assert key_client(tier).get("/t/starter").status_code == 200


def test_starter_plus_lets_any_session_cookie_through(session_client: APIClient,
                                                      user: User) -> None:
    assert user.tier == "free"

    assert session_client.get("/t/starter").status_code == 200


def test_a_free_key_of_a_pro_user_is_still_free(user: User) -> None:
    User.objects.filter(pk=user.pk).update(tier="pro")
    _key, raw = api_key_create(user=user, name="cheap", tier="free")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = client.get("/t/pro")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "This endpoint requires the Pro tier or higher; your API key is on the Free tier.")


@pytest.mark.parametrize(("tier", "status"), [
    ("free", 403), ("starter", 403), ("pro", 200), ("business", 200), ("unlimited", 200)])
def test_pro_plus_with_keys(key_client, tier: str, status: int) -> None:  # noqa: ANN001
    response = key_client(tier).get("/t/pro")

    assert response.status_code == status
    if status == 403:
        assert response.json()["detail"].startswith(
            "This endpoint requires the Pro tier or higher;")


@pytest.mark.parametrize(("tier", "status"), [("free", 403), ("starter", 403), ("pro", 200)])
def test_pro_plus_with_a_session_follows_the_subscription(session_client: APIClient,
                                                          user: User, tier: str,
                                                          status: int) -> None:
    User.objects.filter(pk=user.pk).update(tier=tier)

    response = session_client.get("/t/pro")

    assert response.status_code == status
    if status == 403:
        assert response.json()["detail"] == (
            "This endpoint requires the Pro tier or higher; "
            f"your account is on the {tier.title()} tier.")


def test_admin_refuses_non_staff(session_client: APIClient, key_client) -> None:  # noqa: ANN001
    for client in (session_client, key_client("unlimited")):
        response = client.get("/t/admin")
        assert response.status_code == 403
        assert response.json() == {"detail": "Admin access required"}


def test_admin_accepts_staff_by_session_and_key(session_client: APIClient, user: User,
                                                key_client) -> None:  # noqa: ANN001
    User.objects.filter(pk=user.pk).update(is_staff=True)

    assert session_client.get("/t/admin").status_code == 200
    assert key_client("free").get("/t/admin").status_code == 200


def test_a_tier_refusal_does_not_consume_quota(user: User, make_key) -> None:  # noqa: ANN001
    key, raw = make_key(user, tier="free")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)

    assert client.get("/t/pro").status_code == 403
    assert used_today(key.quota_bucket) == 0
