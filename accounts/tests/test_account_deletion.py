"""Account deletion: soft request with a 24 h cooldown, cancel, hard delete, hourly purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey, Device, User
from accounts.services import user_purge_pending_deletions
from accounts.tasks import accounts_purge_deleted
from marketplace.models import SellerProfile
from marketplace.services import seller_profile_create

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def confirm_for(user: User) -> dict[str, str]:
    return {"confirm": f"DELETE {user.username}"}


# --- delete-request -----------------------------------------------------------------------------


def test_delete_request_flags_account_with_24h_cooldown(session_client: APIClient,
                                                        user: User) -> None:
    response = session_client.post("/auth/account/delete-request", confirm_for(user),
                                   format="json")

    assert response.status_code == 200
    body = response.json()
    user.refresh_from_db()
    assert user.deletion_requested_at is not None
    requested = datetime.fromisoformat(body["deletion_requested_at"])
    delete_after = datetime.fromisoformat(body["delete_after"])
    assert body["ok"] is True
    assert requested == user.deletion_requested_at
    assert delete_after - requested == timedelta(hours=24)
    assert session_client.get("/auth/me").json()["deletion_requested_at"] is not None


@pytest.mark.parametrize("confirm", ["DELETE", "delete {u}", "DELETE  {u}", "DELETE {u} ",
                                     "{u}", "DELETE someoneelse"])
def test_delete_request_wrong_confirm_is_400(session_client: APIClient, user: User,
                                             confirm: str) -> None:
    response = session_client.post("/auth/account/delete-request",
                                   {"confirm": confirm.format(u=user.username)}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": f'confirm must equal "DELETE {user.username}"'}
    user.refresh_from_db()
    assert user.deletion_requested_at is None


def test_delete_request_missing_confirm_is_400(session_client: APIClient, user: User) -> None:
    response = session_client.post("/auth/account/delete-request", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": f'confirm must equal "DELETE {user.username}"'}


def test_delete_request_non_string_confirm_is_422(session_client: APIClient) -> None:
    response = session_client.post("/auth/account/delete-request", {"confirm": ["DELETE"]},
                                   format="json")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "confirm"]


def test_delete_request_twice_is_409(session_client: APIClient, user: User) -> None:
    session_client.post("/auth/account/delete-request", confirm_for(user), format="json")
    user.refresh_from_db()
    first = user.deletion_requested_at

    response = session_client.post("/auth/account/delete-request", confirm_for(user),
                                   format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "Account deletion already requested"}
    user.refresh_from_db()
    assert user.deletion_requested_at == first


def test_delete_request_unauthenticated_is_401(api_client: APIClient) -> None:
    response = api_client.post("/auth/account/delete-request", {"confirm": "DELETE x"},
                               format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


def test_user_flagged_for_deletion_can_still_log_in(api_client: APIClient, user: User,
                                                    password: str) -> None:
    User.objects.filter(pk=user.pk).update(deletion_requested_at=NOW)

    response = api_client.post("/auth/login", {"username": user.username, "password": password},
                               format="json")
    cancel = api_client.post("/auth/account/delete-cancel")

    assert response.status_code == 200
    assert cancel.status_code == 200


# --- delete-cancel ------------------------------------------------------------------------------


def test_delete_cancel_clears_pending_deletion(session_client: APIClient, user: User) -> None:
    session_client.post("/auth/account/delete-request", confirm_for(user), format="json")

    response = session_client.post("/auth/account/delete-cancel")

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    user.refresh_from_db()
    assert user.deletion_requested_at is None


def test_delete_cancel_without_pending_request_is_409(session_client: APIClient) -> None:
    response = session_client.post("/auth/account/delete-cancel")

    assert response.status_code == 409
    assert response.json() == {"detail": "No pending account deletion"}


def test_delete_cancel_unauthenticated_is_401(api_client: APIClient) -> None:
    response = api_client.post("/auth/account/delete-cancel")

    assert response.status_code == 401


# --- DELETE /auth/account -----------------------------------------------------------------------


def test_delete_account_removes_user_and_owned_rows_and_logs_out(
        session_client: APIClient, user: User, make_key) -> None:  # noqa: ANN001
    make_key(user)
    Device.objects.create(user=user, platform="ios", token="tok-1")
    seller_profile_create(user=user, display_name="Shop", country="NL")
    bystander_key, _raw = make_key(User.objects.create_user("bystander", "b@example.com", "x"))

    response = session_client.delete("/auth/account", confirm_for(user), format="json")

    assert response.status_code == 204
    assert response.content == b""
    assert not User.objects.filter(pk=user.pk).exists()
    assert not ApiKey.objects.filter(user_id=user.pk).exists()
    assert not Device.objects.filter(user_id=user.pk).exists()
    assert not SellerProfile.objects.filter(user_id=user.pk).exists()
    assert ApiKey.objects.filter(pk=bystander_key.pk).exists()
    assert response.cookies["tcg_session"].value == ""
    assert session_client.get("/auth/me").status_code == 401


def test_delete_account_with_api_key(key_client, user: User) -> None:  # noqa: ANN001
    response = key_client().delete("/auth/account", confirm_for(user), format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()


def test_delete_account_wrong_confirm_is_400_and_keeps_user(session_client: APIClient,
                                                            user: User) -> None:
    response = session_client.delete("/auth/account", {"confirm": "DELETE me"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": f'confirm must equal "DELETE {user.username}"'}
    assert User.objects.filter(pk=user.pk).exists()
    assert session_client.get("/auth/me").status_code == 200


def test_delete_account_without_body_is_400(session_client: APIClient, user: User) -> None:
    response = session_client.delete("/auth/account")

    assert response.status_code == 400
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_account_unauthenticated_is_401(api_client: APIClient) -> None:
    response = api_client.delete("/auth/account", {"confirm": "DELETE x"}, format="json")

    assert response.status_code == 401


# --- purge --------------------------------------------------------------------------------------


def test_purge_deletes_only_requests_older_than_24h(make_user) -> None:  # noqa: ANN001
    expired = make_user(deletion_requested_at=NOW - timedelta(hours=24, seconds=1))
    recent = make_user(deletion_requested_at=NOW - timedelta(hours=23, minutes=59))
    kept = make_user()

    purged = user_purge_pending_deletions(now=NOW)

    assert purged == 1
    assert not User.objects.filter(pk=expired.pk).exists()
    assert User.objects.filter(pk__in=[recent.pk, kept.pk]).count() == 2


def test_purge_cascades_to_owned_rows(make_user, make_key) -> None:  # noqa: ANN001
    expired = make_user(deletion_requested_at=NOW - timedelta(days=2))
    make_key(expired)

    user_purge_pending_deletions(now=NOW)

    assert not ApiKey.objects.filter(user_id=expired.pk).exists()


def test_purge_is_idempotent(make_user) -> None:  # noqa: ANN001
    make_user(deletion_requested_at=NOW - timedelta(days=2))

    assert user_purge_pending_deletions(now=NOW) == 1
    assert user_purge_pending_deletions(now=NOW) == 0


def test_purge_task_is_registered_under_the_beat_schedule_name(settings) -> None:  # noqa: ANN001
    scheduled = settings.CELERY_BEAT_SCHEDULE["purge-deleted-accounts"]["task"]

    assert accounts_purge_deleted.name == scheduled == "accounts.tasks.accounts_purge_deleted"


def test_purge_task_deletes_expired_accounts(make_user) -> None:  # noqa: ANN001
    expired = make_user(deletion_requested_at=datetime.now(UTC) - timedelta(days=3))
    fresh = make_user(deletion_requested_at=datetime.now(UTC))

    result = accounts_purge_deleted.apply().get()

    assert result == 1
    assert not User.objects.filter(pk=expired.pk).exists()
    assert User.objects.filter(pk=fresh.pk).exists()
