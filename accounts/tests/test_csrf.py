"""CSRF on /auth/*: foreign browser origins are refused, non-browser clients need no token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db

EVIL = "https://evil.example"


def test_logout_from_foreign_origin_is_403_and_user_stays_logged_in(
        session_client: APIClient) -> None:
    response = session_client.post("/auth/logout", HTTP_ORIGIN=EVIL)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF check failed: ")
    assert session_client.get("/auth/me").status_code == 200


def test_logout_with_cross_site_fetch_metadata_is_403(session_client: APIClient) -> None:
    response = session_client.post("/auth/logout", HTTP_SEC_FETCH_SITE="cross-site")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF check failed: ")
    assert session_client.get("/auth/me").status_code == 200


def test_logout_without_origin_like_curl_is_200(session_client: APIClient) -> None:
    response = session_client.post("/auth/logout")

    assert response.status_code == 200
    assert session_client.get("/auth/me").status_code == 401


def test_logout_from_own_origin_is_200(session_client: APIClient) -> None:
    response = session_client.post("/auth/logout", HTTP_ORIGIN="http://testserver",
                                   HTTP_SEC_FETCH_SITE="same-origin")

    assert response.status_code == 200


def test_change_password_from_foreign_origin_is_403(session_client: APIClient, user: User,
                                                    password: str) -> None:
    response = session_client.post("/auth/change-password",
                                   {"current_password": password,
                                    "new_password": "attacker-chosen-1"},
                                   format="json", HTTP_ORIGIN=EVIL)

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(password)


def test_delete_account_from_foreign_origin_is_403(session_client: APIClient,
                                                   user: User) -> None:
    response = session_client.delete("/auth/account", {"confirm": f"DELETE {user.username}"},
                                     format="json", HTTP_ORIGIN=EVIL)

    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


def test_login_from_foreign_origin_is_403(api_client: APIClient, user: User,
                                          password: str) -> None:
    response = api_client.post("/auth/login", {"username": user.username, "password": password},
                               format="json", HTTP_ORIGIN=EVIL)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF check failed: ")
    assert "tcg_session" not in response.cookies
    assert api_client.get("/auth/me").status_code == 401


def test_login_with_null_origin_is_403(api_client: APIClient, user: User,
                                       password: str) -> None:
    response = api_client.post("/auth/login", {"username": user.username, "password": password},
                               format="json", HTTP_ORIGIN="null")

    assert response.status_code == 403


def test_login_from_own_origin_is_200(api_client: APIClient, user: User,
                                      password: str) -> None:
    response = api_client.post("/auth/login", {"username": user.username, "password": password},
                               format="json", HTTP_ORIGIN="http://testserver")

    assert response.status_code == 200


def test_login_from_trusted_origin_is_200(api_client: APIClient, user: User, password: str,
                                          settings) -> None:  # noqa: ANN001
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.collectorstashmarket.com"]

    response = api_client.post("/auth/login", {"username": user.username, "password": password},
                               format="json", HTTP_ORIGIN="https://app.collectorstashmarket.com")

    assert response.status_code == 200


def test_register_from_foreign_origin_is_403_and_creates_nothing(api_client: APIClient,
                                                                 db) -> None:  # noqa: ANN001
    response = api_client.post("/auth/register",
                               {"username": "alice", "email": "a@example.com",
                                "password": "hunter2hunter2"},
                               format="json", HTTP_ORIGIN=EVIL)

    assert response.status_code == 403
    assert not User.objects.filter(username="alice").exists()


def test_register_seller_from_cross_site_is_403(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.post("/auth/register-seller",
                               {"username": "shop", "email": "s@example.com",
                                "password": "hunter2hunter2"},
                               format="json", HTTP_SEC_FETCH_SITE="cross-site")

    assert response.status_code == 403
    assert not User.objects.filter(username="shop").exists()


def test_cookie_jar_flow_needs_no_csrf_token(db) -> None:  # noqa: ANN001
    """The spec's curl -c cookies.txt / requests.Session() examples, verbatim."""
    client = APIClient(enforce_csrf_checks=True)

    registered = client.post("/auth/register",
                             {"username": "alice", "email": "a@example.com",
                              "password": "hunter2hunter2"}, format="json")
    me = client.get("/auth/me")
    logged_out = client.post("/auth/logout")
    logged_in = client.post("/auth/login",
                            {"username": "alice", "password": "hunter2hunter2"}, format="json")

    assert registered.status_code == 201
    assert me.json()["username"] == "alice"
    assert logged_out.status_code == 200
    assert logged_in.status_code == 200
