"""/auth/register, /auth/login, /auth/logout, /auth/me, /auth/change-password."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User

pytestmark = pytest.mark.django_db

GOOD = {"username": "alice", "email": "a@example.com", "password": "hunter2hunter2"}
SESSION_COOKIE_AGE_30_DAYS = 30 * 24 * 3600


def passes_once(real):  # noqa: ANN001, ANN201
    """A stand-in for a uniqueness pre-check that misses a row a concurrent request just wrote."""
    calls = []

    def check(value: str) -> bool:
        calls.append(value)
        return False if len(calls) == 1 else real(value)

    return check


def register(client: APIClient, **overrides: object):  # noqa: ANN201
    return client.post("/auth/register", {**GOOD, **overrides}, format="json")


def error_locs(response) -> list[list]:  # noqa: ANN001
    return [item["loc"] for item in response.json()["detail"]]


# --- register -----------------------------------------------------------------------------------


def test_register_creates_user_and_logs_in(api_client: APIClient) -> None:
    response = register(api_client)

    assert response.status_code == 201
    user = User.objects.get(username="alice")
    assert response.json() == {"ok": True, "user_id": user.pk, "username": "alice"}
    assert user.check_password("hunter2hunter2")
    assert api_client.get("/auth/me").json()["username"] == "alice"


def test_register_accepts_trailing_slash(api_client: APIClient) -> None:
    response = api_client.post("/auth/register/", GOOD, format="json")

    assert response.status_code == 201


def test_register_lowercases_username(api_client: APIClient) -> None:
    response = register(api_client, username="Alice.B")

    assert response.status_code == 201
    assert response.json()["username"] == "alice.b"
    assert User.objects.filter(username="alice.b").exists()


def test_register_sets_http_only_30_day_tcg_session_cookie(api_client: APIClient) -> None:
    response = register(api_client)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_COOKIE_NAME == "tcg_session"
    assert cookie.value
    assert cookie["httponly"] is True
    assert int(cookie["max-age"]) == SESSION_COOKIE_AGE_30_DAYS
    assert cookie["samesite"] == "Lax"


def test_register_works_like_the_spec_curl_example(api_client: APIClient) -> None:
    response = api_client.generic(
        "POST", "/auth/register",
        '{"username":"alice","email":"a@example.com","password":"hunter2hunter2"}',
        content_type="application/json")

    assert response.status_code == 201


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_register_missing_field_is_400(api_client: APIClient, missing: str) -> None:
    body = {k: v for k, v in GOOD.items() if k != missing}

    response = api_client.post("/auth/register", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "username, email, and password required"}
    assert not User.objects.exists()


def test_register_empty_body_is_400(api_client: APIClient) -> None:
    response = api_client.post("/auth/register", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "username, email, and password required"}


def test_register_taken_username_is_400(api_client: APIClient, make_user) -> None:  # noqa: ANN001
    make_user(username="alice", email="other@example.com")

    response = register(api_client)

    assert response.status_code == 400
    assert response.json() == {"detail": "username already taken"}


def test_register_taken_username_in_other_case_is_400(api_client: APIClient,
                                                      make_user) -> None:  # noqa: ANN001
    make_user(username="alice", email="other@example.com")

    response = register(api_client, username="Alice")

    assert response.status_code == 400
    assert response.json() == {"detail": "username already taken"}
    assert User.objects.count() == 1


def test_register_taken_email_is_400_case_insensitively(api_client: APIClient,
                                                        make_user) -> None:  # noqa: ANN001
    make_user(username="someone", email="a@example.com")

    response = register(api_client, email="A@Example.COM")

    assert response.status_code == 400
    assert response.json() == {"detail": "email already registered"}
    assert User.objects.count() == 1


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_register_invalid_email_is_400(api_client: APIClient, email: str) -> None:
    response = register(api_client, email=email)

    assert response.status_code == 400
    assert response.json() == {"detail": "invalid email"}


@pytest.mark.parametrize("username", ["ab", "a" * 31, "al ice", "alice!", "_alice", "élise"])
def test_register_bad_username_is_422(api_client: APIClient, username: str) -> None:
    response = register(api_client, username=username)

    assert response.status_code == 422
    assert error_locs(response) == [["body", "username"]]
    assert not User.objects.exists()


def test_register_short_username_message_is_pydantic_style(api_client: APIClient) -> None:
    response = register(api_client, username="ab")

    assert response.json()["detail"] == [{
        "loc": ["body", "username"], "msg": "ensure this value has at least 3 characters",
        "type": "value_error.any_str.min_length"}]


@pytest.mark.parametrize("password", ["short7!", "1234567890123"])
def test_register_weak_password_is_422(api_client: APIClient, password: str) -> None:
    response = register(api_client, password=password)

    assert response.status_code == 422
    assert error_locs(response) == [["body", "password"]]
    assert not User.objects.exists()


@pytest.mark.parametrize("field,value", [
    ("username", 12345), ("username", ["alice"]), ("username", {"a": 1}), ("username", True),
    ("email", 5), ("password", 123456789012),
])
def test_register_wrong_json_type_is_422(api_client: APIClient, field: str,
                                         value: object) -> None:
    response = register(api_client, **{field: value})

    assert response.status_code == 422
    assert error_locs(response) == [["body", field]]
    assert response.json()["detail"][0]["msg"] == "str type expected"
    assert response.json()["detail"][0]["type"] == "type_error.str"
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_register_oversize_string_is_422(api_client: APIClient, field: str) -> None:
    value = "a" * 10_000 if field != "email" else "a" * 9_988 + "@example.com"

    response = register(api_client, **{field: value})

    assert response.status_code == 422
    assert error_locs(response) == [["body", field]]


def test_register_body_as_json_list_is_400(api_client: APIClient) -> None:
    response = api_client.post("/auth/register", [GOOD], format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Request body must be a JSON object"}


def test_register_malformed_json_is_400(api_client: APIClient) -> None:
    response = api_client.generic("POST", "/auth/register", '{"username": "alice",',
                                  content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid JSON body")


def test_register_username_race_answers_400_not_500(api_client: APIClient, make_user,
                                                    monkeypatch) -> None:  # noqa: ANN001
    # The pre-check passes (as it would for two concurrent requests); the insert collides.
    make_user(username="alice", email="first@example.com")
    monkeypatch.setattr("accounts.services._username_taken",
                        passes_once(services._username_taken))

    response = register(api_client)

    assert response.status_code == 400
    assert response.json() == {"detail": "username already taken"}
    assert User.objects.count() == 1


def test_register_email_race_answers_400_not_500(api_client: APIClient, make_user,
                                                 monkeypatch) -> None:  # noqa: ANN001
    make_user(username="first", email="a@example.com")
    monkeypatch.setattr("accounts.services._email_taken", passes_once(services._email_taken))

    response = register(api_client, email="A@example.com")

    assert response.status_code == 400
    assert response.json() == {"detail": "email already registered"}


# --- login --------------------------------------------------------------------------------------


def test_login_with_username_returns_user_and_session(api_client: APIClient, user: User,
                                                      password: str) -> None:
    response = api_client.post("/auth/login", {"username": user.username, "password": password},
                               format="json")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "user_id": user.pk, "username": user.username}
    assert response.cookies["tcg_session"].value
    assert api_client.get("/auth/me").json()["id"] == user.pk


def test_login_username_is_case_insensitive(api_client: APIClient, user: User,
                                            password: str) -> None:
    response = api_client.post("/auth/login",
                               {"username": user.username.upper(), "password": password},
                               format="json")

    assert response.status_code == 200


def test_login_with_email_in_username_field(api_client: APIClient, user: User,
                                            password: str) -> None:
    response = api_client.post("/auth/login",
                               {"username": user.email.upper(), "password": password},
                               format="json")

    assert response.status_code == 200
    assert response.json()["user_id"] == user.pk


def test_login_with_email_field(api_client: APIClient, user: User, password: str) -> None:
    response = api_client.post("/auth/login", {"email": user.email, "password": password},
                               format="json")

    assert response.status_code == 200
    assert response.json()["user_id"] == user.pk


def test_login_wrong_password_is_401(api_client: APIClient, user: User) -> None:
    response = api_client.post("/auth/login",
                               {"username": user.username, "password": "wrong-password"},
                               format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid username or password"}
    assert "tcg_session" not in response.cookies
    assert api_client.get("/auth/me").status_code == 401


def test_login_unknown_user_is_401(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.post("/auth/login", {"username": "nobody", "password": "whatever1"},
                               format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid username or password"}


def test_login_inactive_user_is_401(api_client: APIClient, make_user, password: str) -> None:  # noqa: ANN001
    inactive = make_user(is_active=False)

    response = api_client.post("/auth/login",
                               {"username": inactive.username, "password": password},
                               format="json")

    assert response.status_code == 401


@pytest.mark.parametrize("body", [{"username": "alice"}, {"password": "x" * 10}, {},
                                  {"username": "", "password": "hunter2hunter2"}])
def test_login_missing_field_is_400(api_client: APIClient, body: dict) -> None:
    response = api_client.post("/auth/login", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "username and password required"}


def test_login_wrong_type_is_422(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.post("/auth/login", {"username": ["alice"], "password": 12345678},
                               format="json")

    assert response.status_code == 422
    assert sorted(error_locs(response)) == [["body", "password"], ["body", "username"]]


def test_login_oversize_username_is_422(api_client: APIClient, db) -> None:  # noqa: ANN001
    response = api_client.post("/auth/login", {"username": "a" * 10_000, "password": "x" * 8},
                               format="json")

    assert response.status_code == 422


def test_login_rotates_session_key_for_already_signed_in_client(
        session_client: APIClient, user: User, password: str) -> None:
    before = session_client.cookies["tcg_session"].value

    response = session_client.post("/auth/login",
                                   {"username": user.username, "password": password},
                                   format="json")

    assert response.status_code == 200
    after = response.cookies["tcg_session"].value
    assert after and after != before
    assert session_client.get("/auth/me").status_code == 200
    stale = APIClient()
    stale.cookies["tcg_session"] = before
    assert stale.get("/auth/me").status_code == 401


def test_login_as_other_user_replaces_session(session_client: APIClient, make_user,
                                              password: str) -> None:  # noqa: ANN001
    other = make_user()

    session_client.post("/auth/login", {"username": other.username, "password": password},
                        format="json")

    assert session_client.get("/auth/me").json()["id"] == other.pk


def test_login_ignores_invalid_api_key_header(api_client: APIClient, user: User,
                                              password: str) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer csm_not_a_real_key")

    response = api_client.post("/auth/login", {"username": user.username, "password": password},
                               format="json")

    assert response.status_code == 200


def test_login_works_with_requests_style_cookie_jar_and_no_csrf_token(
        user: User, password: str) -> None:
    client = APIClient(enforce_csrf_checks=True)

    response = client.post("/auth/login", {"username": user.username, "password": password},
                           format="json")
    logout = client.post("/auth/logout", format="json")

    assert response.status_code == 200
    assert logout.status_code == 200


# --- logout -------------------------------------------------------------------------------------


def test_logout_flushes_session_and_deletes_cookie(session_client: APIClient) -> None:
    old_key = session_client.cookies["tcg_session"].value

    response = session_client.post("/auth/logout")

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    cookie = response.cookies["tcg_session"]
    assert cookie.value == ""
    assert int(cookie["max-age"]) == 0
    assert session_client.get("/auth/me").status_code == 401
    replay = APIClient()
    replay.cookies["tcg_session"] = old_key
    assert replay.get("/auth/me").status_code == 401


def test_logout_unauthenticated_is_401(api_client: APIClient) -> None:
    response = api_client.post("/auth/logout")

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


# --- me -----------------------------------------------------------------------------------------


def test_me_returns_current_user(session_client: APIClient, user: User) -> None:
    response = session_client.get("/auth/me")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": user.pk, "username": user.username, "email": user.email, "is_admin": False,
        "is_seller": False, "created_at": body["created_at"], "tier": "free",
        "deletion_requested_at": None,
    }
    assert body["created_at"].startswith(user.date_joined.strftime("%Y-%m-%dT%H:%M"))


def test_me_reports_staff_as_admin(api_client: APIClient, make_user) -> None:  # noqa: ANN001
    admin = make_user(is_staff=True)
    api_client.force_login(admin)

    assert api_client.get("/auth/me").json()["is_admin"] is True


def test_me_works_with_api_key(key_client, user: User) -> None:  # noqa: ANN001
    response = key_client().get("/auth/me")

    assert response.status_code == 200
    assert response.json()["id"] == user.pk


def test_me_unauthenticated_is_401(api_client: APIClient) -> None:
    response = api_client.get("/auth/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


# --- change-password ----------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_others(
        session_client: APIClient, user: User, password: str) -> None:
    other_device = APIClient()
    other_device.post("/auth/login", {"username": user.username, "password": password},
                      format="json")
    assert other_device.get("/auth/me").status_code == 200

    response = session_client.post("/auth/change-password",
                                   {"current_password": password,
                                    "new_password": "a-brand-new-secret"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    user.refresh_from_db()
    assert user.check_password("a-brand-new-secret")
    assert session_client.get("/auth/me").status_code == 200
    assert other_device.get("/auth/me").status_code == 401


def test_change_password_then_login_with_new_password(session_client: APIClient, user: User,
                                                      password: str) -> None:
    session_client.post("/auth/change-password",
                        {"current_password": password, "new_password": "a-brand-new-secret"},
                        format="json")

    fresh = APIClient()
    old = fresh.post("/auth/login", {"username": user.username, "password": password},
                     format="json")
    new = fresh.post("/auth/login",
                     {"username": user.username, "password": "a-brand-new-secret"},
                     format="json")

    assert old.status_code == 401
    assert new.status_code == 200


def test_change_password_wrong_current_is_400(session_client: APIClient, user: User,
                                              password: str) -> None:
    response = session_client.post("/auth/change-password",
                                   {"current_password": "not-my-password",
                                    "new_password": "a-brand-new-secret"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "current password is incorrect"}
    user.refresh_from_db()
    assert user.check_password(password)


@pytest.mark.parametrize("new_password", ["short", "12345678901", "x" * 129])
def test_change_password_weak_or_oversize_new_password_is_422(
        session_client: APIClient, user: User, password: str, new_password: str) -> None:
    response = session_client.post("/auth/change-password",
                                   {"current_password": password, "new_password": new_password},
                                   format="json")

    assert response.status_code == 422
    assert error_locs(response) == [["body", "new_password"]]
    user.refresh_from_db()
    assert user.check_password(password)


def test_change_password_missing_field_is_400(session_client: APIClient,
                                              password: str) -> None:
    response = session_client.post("/auth/change-password", {"current_password": password},
                                   format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "current_password and new_password required"}


def test_change_password_unauthenticated_is_401(api_client: APIClient) -> None:
    response = api_client.post("/auth/change-password",
                               {"current_password": "a" * 10, "new_password": "b" * 10},
                               format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


# --- schema -------------------------------------------------------------------------------------


def test_schema_documents_every_auth_endpoint_with_request_and_response(
        api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    expected = {
        "/auth/register": ("post", "201"), "/auth/register-seller": ("post", "201"),
        "/auth/login": ("post", "200"), "/auth/logout": ("post", "200"),
        "/auth/me": ("get", "200"), "/auth/change-password": ("post", "200"),
        "/auth/account/delete-request": ("post", "200"),
        "/auth/account/delete-cancel": ("post", "200"), "/auth/account": ("delete", "204"),
    }

    for path, (method, success) in expected.items():
        operation = schema["paths"][path][method]
        assert success in operation["responses"], path
    with_body = ["/auth/register", "/auth/register-seller", "/auth/login",
                 "/auth/change-password", "/auth/account/delete-request"]
    for path in with_body:
        assert "application/json" in schema["paths"][path]["post"]["requestBody"]["content"]
    assert "requestBody" in schema["paths"]["/auth/account"]["delete"]
