"""/api/keys/, /api/keys/{key_id}, /api/developer/info and /api/developer/key."""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, User
from accounts.services import api_key_create
from accounts.tiers import TIERS

ITEM_FIELDS = {"id", "name", "prefix", "tier", "is_active", "daily_limit",
               "rate_limit_per_minute", "calls_today", "last_used_at", "created_at",
               "expires_at"}


def _set_tier(user: User, tier: str) -> User:
    User.objects.filter(pk=user.pk).update(tier=tier)
    user.refresh_from_db()
    return user


def _bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# --- Creating ---------------------------------------------------------------------------------


def test_create_returns_the_raw_key_once(session_client: APIClient, user: User) -> None:
    created = session_client.post("/api/keys/", {"name": "production"}, format="json")

    assert created.status_code == 201
    body = created.json()
    assert set(body) == ITEM_FIELDS | {"key"}
    assert body["key"].startswith("csm_")
    assert body["prefix"] == body["key"][:12]
    assert body["name"] == "production"
    assert body["is_active"] is True
    assert body["calls_today"] == 0

    listed = session_client.get("/api/keys/")
    assert [set(item) for item in listed.json()["items"]] == [ITEM_FIELDS]
    assert body["key"] not in listed.content.decode()
    renamed = session_client.patch(f"/api/keys/{body['id']}", {"name": "prod"}, format="json")
    assert set(renamed.json()) == ITEM_FIELDS
    assert body["key"] not in renamed.content.decode()


def test_key_is_stored_as_sha256_not_raw(session_client: APIClient) -> None:
    raw = session_client.post("/api/keys/", {"name": "k"}, format="json").json()["key"]

    row = ApiKey.objects.get()
    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not ApiKey.objects.filter(key_hash=raw).exists()
    assert raw not in {row.name, row.prefix, row.key_hash}


def test_created_key_authenticates(session_client: APIClient, user: User) -> None:
    raw = session_client.post("/api/keys/", {"name": "k"}, format="json").json()["key"]

    response = _bearer(raw).get("/api/developer/info")

    assert response.status_code == 200
    assert response.json()["user_id"] == user.pk


def test_create_defaults_to_the_subscription_tier(session_client: APIClient,
                                                  user: User) -> None:
    _set_tier(user, "pro")

    body = session_client.post("/api/keys/", {"name": "k"}, format="json").json()

    assert body["tier"] == "pro"
    assert body["daily_limit"] == 25_000
    assert body["rate_limit_per_minute"] == 300


def test_create_with_a_lower_tier_gets_that_tiers_limits(session_client: APIClient,
                                                         user: User) -> None:
    _set_tier(user, "business")

    body = session_client.post("/api/keys/", {"name": "k", "tier": "starter"},
                               format="json").json()

    assert (body["tier"], body["daily_limit"], body["rate_limit_per_minute"]) == (
        "starter", 5_000, 120)


def test_unlimited_key_has_no_limits(session_client: APIClient, user: User) -> None:
    _set_tier(user, "unlimited")

    body = session_client.post("/api/keys/", {"name": "k"}, format="json").json()

    assert body["daily_limit"] is None
    assert body["rate_limit_per_minute"] is None


def test_create_with_future_expiry(session_client: APIClient) -> None:
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)

    response = session_client.post("/api/keys/", {"name": "k", "expires_at": expires.isoformat()},
                                   format="json")

    assert response.status_code == 201
    assert ApiKey.objects.get().expires_at == expires


def test_create_with_past_expiry_is_422(session_client: APIClient) -> None:
    past = (timezone.now() - timedelta(minutes=1)).isoformat()

    response = session_client.post("/api/keys/", {"name": "k", "expires_at": past},
                                   format="json")

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "expires_at"]
    assert error["msg"] == "expires_at must be in the future"
    assert not ApiKey.objects.exists()


def test_create_with_unparseable_expiry_is_422(session_client: APIClient) -> None:
    response = session_client.post("/api/keys/", {"name": "k", "expires_at": "next week"},
                                   format="json")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "expires_at"]
    assert response.json()["detail"][0]["type"] == "type_error.datetime"


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"tier": "free"}])
def test_create_without_name_is_400(session_client: APIClient, body: dict) -> None:
    response = session_client.post("/api/keys/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "name required"}


def test_create_with_too_long_name_is_422(session_client: APIClient) -> None:
    response = session_client.post("/api/keys/", {"name": "x" * 101}, format="json")

    assert response.status_code == 422
    assert response.json()["detail"] == [{
        "loc": ["body", "name"],
        "msg": "ensure this value has at most 100 characters",
        "type": "value_error.any_str.max_length",
    }]


def test_create_with_unknown_tier_is_422(session_client: APIClient) -> None:
    response = session_client.post("/api/keys/", {"name": "k", "tier": "platinum"},
                                   format="json")

    assert response.status_code == 422
    assert response.json()["detail"] == [{
        "loc": ["body", "tier"],
        "msg": "value is not a valid enumeration member",
        "type": "type_error.enum",
    }]


def test_create_with_a_tier_above_the_subscription_is_403(session_client: APIClient) -> None:
    response = session_client.post("/api/keys/", {"name": "k", "tier": "pro"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your subscription is Free; a Pro key needs a Pro subscription."}
    assert not ApiKey.objects.exists()


def test_second_free_key_is_403_until_one_is_revoked(session_client: APIClient) -> None:
    first = session_client.post("/api/keys/", {"name": "one"}, format="json").json()

    refused = session_client.post("/api/keys/", {"name": "two"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "The Free tier allows 1 active API key; revoke one or upgrade your tier."}

    assert session_client.delete(f"/api/keys/{first['id']}").status_code == 204
    assert session_client.post("/api/keys/", {"name": "two"}, format="json").status_code == 201


def test_an_expired_key_frees_its_slot(session_client: APIClient) -> None:
    first = session_client.post("/api/keys/", {"name": "one"}, format="json").json()
    ApiKey.objects.filter(pk=first["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert session_client.post("/api/keys/", {"name": "two"}, format="json").status_code == 201


def test_list_reports_each_keys_own_calls_today(session_client: APIClient, user: User,
                                                make_key) -> None:  # noqa: ANN001
    _set_tier(user, "starter")
    busy, raw = make_key(user, tier="starter", name="busy")
    make_key(user, tier="starter", name="idle")
    for _ in range(3):
        assert _bearer(raw).get("/api/developer/info").status_code == 200

    items = {item["name"]: item for item in session_client.get("/api/keys/").json()["items"]}

    assert items["busy"]["calls_today"] == 3
    assert items["idle"]["calls_today"] == 0
    assert session_client.get("/api/developer/info").json()["calls_today"] == 3


@pytest.mark.parametrize("tier", ["starter", "pro", "business", "unlimited"])
def test_active_key_allowance_per_tier(session_client: APIClient, user: User, tier: str) -> None:
    _set_tier(user, tier)
    allowed = TIERS[tier].max_keys

    statuses = [session_client.post("/api/keys/", {"name": f"k{i}"}, format="json").status_code
                for i in range(allowed + 1)]

    assert statuses == [201] * allowed + [403]
    assert ApiKey.objects.filter(user=user, is_active=True).count() == allowed
    assert f"allows {allowed} active API keys" in session_client.post(
        "/api/keys/", {"name": "again"}, format="json").json()["detail"]


# --- Listing ----------------------------------------------------------------------------------


def test_list_is_newest_first_and_includes_revoked(session_client: APIClient, user: User,
                                                   make_key) -> None:  # noqa: ANN001
    old, _ = make_key(user, tier="pro", name="old")
    ApiKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    middle, _ = make_key(user, tier="pro", name="middle")
    ApiKey.objects.filter(pk=middle.pk).update(created_at=timezone.now() - timedelta(days=1))
    new, _ = make_key(user, tier="pro", name="new")
    session_client.delete(f"/api/keys/{middle.pk}")

    items = session_client.get("/api/keys/").json()["items"]

    assert [(i["name"], i["is_active"]) for i in items] == [
        ("new", True), ("middle", False), ("old", True)]


def test_list_shows_only_my_keys(session_client: APIClient, user: User, make_user,
                                 make_key) -> None:  # noqa: ANN001
    make_key(make_user(), name="theirs")
    make_key(user, name="mine")

    items = session_client.get("/api/keys/").json()["items"]

    assert [i["name"] for i in items] == ["mine"]


def test_list_item_fields(session_client: APIClient, user: User, make_key) -> None:  # noqa: ANN001
    key, _raw = make_key(user, tier="starter", name="prod")

    [item] = session_client.get("/api/keys/").json()["items"]

    assert item == {
        "id": key.pk, "name": "prod", "prefix": key.prefix, "tier": "starter",
        "is_active": True, "daily_limit": 5000, "rate_limit_per_minute": 120,
        "calls_today": 0, "last_used_at": None,
        "created_at": item["created_at"], "expires_at": None,
    }
    assert item["created_at"].startswith(str(key.created_at.year))


def test_calls_today_is_the_real_count(user: User, make_key) -> None:  # noqa: ANN001
    _key, raw = make_key(user, tier="free")
    client = _bearer(raw)
    for _ in range(3):
        client.get("/api/developer/info")

    # The listing request itself is the fourth call counted today.
    [item] = client.get("/api/keys/").json()["items"]

    assert item["calls_today"] == 4
    assert item["last_used_at"] is not None


def test_list_query_count_does_not_grow_with_keys(session_client: APIClient, user: User,
                                                  make_key,  # noqa: ANN001
                                                  django_assert_max_num_queries) -> None:  # noqa: ANN001
    _set_tier(user, "unlimited")
    for i in range(10):
        make_key(user, tier="unlimited", name=f"k{i}")

    with django_assert_max_num_queries(4):
        response = session_client.get("/api/keys/")

    assert len(response.json()["items"]) == 10


# --- Renaming and revoking -------------------------------------------------------------------


def test_rename(session_client: APIClient, user: User, make_key) -> None:  # noqa: ANN001
    key, _ = make_key(user, name="old")

    response = session_client.patch(f"/api/keys/{key.pk}", {"name": "new"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "new"
    assert response.json()["id"] == key.pk
    key.refresh_from_db()
    assert key.name == "new"


def test_rename_without_name_is_400(session_client: APIClient, user: User,
                                    make_key) -> None:  # noqa: ANN001
    key, _ = make_key(user)

    response = session_client.patch(f"/api/keys/{key.pk}", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "name required"}


def test_rename_someone_elses_key_is_404(session_client: APIClient, make_user,
                                         make_key) -> None:  # noqa: ANN001
    theirs, _ = make_key(make_user(), name="theirs")

    response = session_client.patch(f"/api/keys/{theirs.pk}", {"name": "mine"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "API key not found"}
    theirs.refresh_from_db()
    assert theirs.name == "theirs"


def test_rename_unknown_key_is_404(session_client: APIClient) -> None:
    response = session_client.patch("/api/keys/999999", {"name": "x"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "API key not found"}


def test_revoke_stops_the_key_at_once(session_client: APIClient, user: User,
                                      make_key) -> None:  # noqa: ANN001
    key, raw = make_key(user)
    client = _bearer(raw)
    assert client.get("/api/developer/info").status_code == 200

    response = session_client.delete(f"/api/keys/{key.pk}")

    assert response.status_code == 204
    assert response.content == b""
    key.refresh_from_db()
    assert key.is_active is False
    assert key.revoked_at is not None
    after = client.get("/api/developer/info")
    assert after.status_code == 401
    assert after.json() == {"detail": "Invalid API key"}


def test_a_key_can_revoke_itself(user: User, make_key) -> None:  # noqa: ANN001
    key, raw = make_key(user)
    client = _bearer(raw)

    assert client.delete(f"/api/keys/{key.pk}").status_code == 204
    assert client.get("/api/keys/").status_code == 401


def test_revoking_twice_is_harmless(session_client: APIClient, user: User,
                                    make_key) -> None:  # noqa: ANN001
    key, _ = make_key(user)
    session_client.delete(f"/api/keys/{key.pk}")
    revoked_at = ApiKey.objects.get(pk=key.pk).revoked_at

    assert session_client.delete(f"/api/keys/{key.pk}").status_code == 204
    assert ApiKey.objects.get(pk=key.pk).revoked_at == revoked_at


def test_revoke_someone_elses_key_is_404(session_client: APIClient, make_user,
                                         make_key) -> None:  # noqa: ANN001
    theirs, raw = make_key(make_user())

    response = session_client.delete(f"/api/keys/{theirs.pk}")

    assert response.status_code == 404
    assert response.json() == {"detail": "API key not found"}
    assert ApiKey.objects.get(pk=theirs.pk).is_active
    assert _bearer(raw).get("/api/keys/").status_code == 200


def test_revoke_unknown_key_is_404(session_client: APIClient) -> None:
    response = session_client.delete("/api/keys/424242")

    assert response.status_code == 404
    assert response.json() == {"detail": "API key not found"}


@pytest.mark.parametrize("path", ["/api/keys", "/api/keys/"])
def test_keys_path_works_with_and_without_slash(session_client: APIClient, path: str) -> None:
    assert session_client.post(path, {"name": "k"}, format="json").status_code == 201
    assert session_client.get(path).status_code == 200


def test_detail_paths_work_with_and_without_slash(session_client: APIClient, user: User,
                                                  make_key) -> None:  # noqa: ANN001
    key, _ = make_key(user)

    assert session_client.patch(f"/api/keys/{key.pk}/", {"name": "a"},
                                format="json").status_code == 200
    assert session_client.delete(f"/api/keys/{key.pk}/").status_code == 204
    assert session_client.get("/api/developer/info/").status_code == 200


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/keys/"), ("post", "/api/keys/"), ("patch", "/api/keys/1"),
    ("delete", "/api/keys/1"), ("get", "/api/developer/info"), ("post", "/api/developer/key"),
])
def test_every_key_endpoint_needs_auth(api_client: APIClient, db, method: str,  # noqa: ANN001
                                      path: str) -> None:
    response = getattr(api_client, method)(path, {"name": "x"}, format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- Developer portal -------------------------------------------------------------------------


def test_developer_info(session_client: APIClient, user: User, make_key) -> None:  # noqa: ANN001
    _set_tier(user, "starter")
    make_key(user, tier="starter", name="a")
    revoked, _ = make_key(user, tier="starter", name="b")
    session_client.delete(f"/api/keys/{revoked.pk}")

    body = session_client.get("/api/developer/info").json()

    assert body["user_id"] == user.pk
    assert body["username"] == user.username
    assert body["tier"] == "starter"
    assert body["limits"] == {"requests_per_day": 5000, "requests_per_minute": 120,
                              "max_keys": 2, "recognitions_per_day": 10}
    assert body["active_keys"] == 1
    assert body["calls_today"] == 0


def test_developer_info_lists_the_full_tier_table(session_client: APIClient) -> None:
    tiers = session_client.get("/api/developer/info").json()["tiers"]

    assert tiers == [
        {"slug": "free", "name": "Free", "requests_per_day": 500, "requests_per_minute": 60,
         "max_keys": 1, "recognitions_per_day": 0, "price_eur_month": 0},
        {"slug": "starter", "name": "Starter", "requests_per_day": 5000,
         "requests_per_minute": 120, "max_keys": 2, "recognitions_per_day": 10,
         "price_eur_month": 9},
        {"slug": "pro", "name": "Pro", "requests_per_day": 25000, "requests_per_minute": 300,
         "max_keys": 5, "recognitions_per_day": 100, "price_eur_month": 29},
        {"slug": "business", "name": "Business", "requests_per_day": 200000,
         "requests_per_minute": 1000, "max_keys": 10, "recognitions_per_day": 500,
         "price_eur_month": 79},
        {"slug": "unlimited", "name": "Unlimited", "requests_per_day": None,
         "requests_per_minute": None, "max_keys": 25, "recognitions_per_day": None,
         "price_eur_month": 199},
    ]


def test_developer_info_for_unlimited_has_null_limits(session_client: APIClient,
                                                      user: User) -> None:
    _set_tier(user, "unlimited")

    limits = session_client.get("/api/developer/info").json()["limits"]

    assert limits == {"requests_per_day": None, "requests_per_minute": None, "max_keys": 25,
                      "recognitions_per_day": None}


def test_developer_info_sums_calls_over_active_keys(user: User, make_key) -> None:  # noqa: ANN001
    _set_tier(user, "starter")
    _a, raw_a = make_key(user, tier="starter", name="a")
    b, raw_b = make_key(user, tier="starter", name="b")
    for _ in range(2):
        _bearer(raw_b).get("/api/keys/")
    _bearer(raw_a).get("/api/keys/")
    # Revoked keys no longer count.
    _bearer(raw_b).delete(f"/api/keys/{b.pk}")

    body = _bearer(raw_a).get("/api/developer/info").json()

    assert body["active_keys"] == 1
    assert body["calls_today"] == 2  # key a: one listing and this request


def test_developer_key_one_click(session_client: APIClient, user: User) -> None:
    response = session_client.post("/api/developer/key")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ITEM_FIELDS | {"key"}
    assert body["name"] == "default"
    assert body["tier"] == user.tier
    assert _bearer(body["key"]).get("/api/developer/info").status_code == 200


def test_developer_key_takes_a_name(session_client: APIClient) -> None:
    response = session_client.post("/api/developer/key", {"name": "bot"}, format="json")

    assert response.status_code == 201
    assert response.json()["name"] == "bot"


def test_developer_key_respects_the_key_allowance(session_client: APIClient) -> None:
    assert session_client.post("/api/developer/key").status_code == 201

    refused = session_client.post("/api/developer/key")

    assert refused.status_code == 403
    assert "allows 1 active API key" in refused.json()["detail"]


# --- Concurrency ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="row locks need PostgreSQL (DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_cannot_exceed_the_allowance(make_user) -> None:  # noqa: ANN001
    assert connection.vendor == "postgresql"
    user = make_user(tier="pro")
    threads_n = 12
    barrier = threading.Barrier(threads_n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create(i: int) -> None:
        try:
            barrier.wait()
            try:
                api_key_create(user=user, name=f"k{i}")
                result = "created"
            except Exception as exc:  # noqa: BLE001 - the outcome is what we count
                result = type(exc).__name__
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("created") == TIERS["pro"].max_keys
    assert outcomes.count("PermissionDenied") == threads_n - TIERS["pro"].max_keys
    assert ApiKey.objects.filter(user=user, is_active=True).count() == TIERS["pro"].max_keys
