"""POST /auth/register-seller and the seller_profile_create service."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_save
from rest_framework.test import APIClient

from accounts.models import User
from csm.api.errors import Conflict
from marketplace.models import SellerProfile
from marketplace.services import seller_profile_create, seller_register

pytestmark = pytest.mark.django_db

GOOD = {"username": "shopkeeper", "email": "shop@example.com", "password": "hunter2hunter2"}


def register_seller(client: APIClient, **overrides: object):  # noqa: ANN201
    return client.post("/auth/register-seller", {**GOOD, **overrides}, format="json")


def test_register_seller_creates_user_profile_and_logs_in(api_client: APIClient) -> None:
    response = register_seller(api_client, display_name="Card Corner", country="nl")

    assert response.status_code == 201
    user = User.objects.get(username="shopkeeper")
    assert response.json() == {"ok": True, "user_id": user.pk, "username": "shopkeeper",
                               "is_seller": True, "display_name": "Card Corner",
                               "country": "NL"}
    assert user.is_seller is True
    assert user.seller_profile.country == "NL"
    assert user.seller_profile.display_name == "Card Corner"
    assert response.cookies["tcg_session"].value
    assert api_client.get("/auth/me").json()["is_seller"] is True


def test_register_seller_optional_fields_default_to_empty(api_client: APIClient) -> None:
    response = register_seller(api_client)

    assert response.status_code == 201
    assert response.json()["display_name"] == ""
    assert response.json()["country"] == ""
    assert SellerProfile.objects.filter(user__username="shopkeeper", country="").exists()


def test_register_seller_null_optional_fields_are_empty(api_client: APIClient) -> None:
    response = register_seller(api_client, display_name=None, country=None)

    assert response.status_code == 201
    assert response.json()["country"] == ""


def test_register_seller_lowercases_username(api_client: APIClient) -> None:
    response = register_seller(api_client, username="ShopKeeper")

    assert response.status_code == 201
    assert response.json()["username"] == "shopkeeper"


@pytest.mark.parametrize("country", ["XX", "NLD", "N", "12", "zz"])
def test_register_seller_unknown_country_is_422(api_client: APIClient, country: str) -> None:
    response = register_seller(api_client, country=country)

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [["body", "country"]]
    assert not User.objects.exists()


def test_register_seller_oversize_display_name_is_422(api_client: APIClient) -> None:
    response = register_seller(api_client, display_name="x" * 61)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "display_name"]
    assert not User.objects.exists()


def test_register_seller_wrong_type_country_is_422(api_client: APIClient) -> None:
    response = register_seller(api_client, country=528)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "country"]


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_register_seller_missing_field_is_400(api_client: APIClient, missing: str) -> None:
    body = {k: v for k, v in GOOD.items() if k != missing}

    response = api_client.post("/auth/register-seller", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "username, email, and password required"}


def test_register_seller_taken_username_is_400(api_client: APIClient,
                                               make_user) -> None:  # noqa: ANN001
    make_user(username="shopkeeper", email="x@example.com")

    response = register_seller(api_client, username="SHOPKEEPER")

    assert response.status_code == 400
    assert response.json() == {"detail": "username already taken"}
    assert not SellerProfile.objects.exists()


def test_register_seller_taken_email_is_400(api_client: APIClient,
                                            make_user) -> None:  # noqa: ANN001
    make_user(username="someone", email="Shop@Example.com")

    response = register_seller(api_client)

    assert response.status_code == 400
    assert response.json() == {"detail": "email already registered"}


def test_register_seller_invalid_email_is_400(api_client: APIClient) -> None:
    response = register_seller(api_client, email="nope")

    assert response.status_code == 400
    assert response.json() == {"detail": "invalid email"}


def test_register_seller_weak_password_is_422(api_client: APIClient) -> None:
    response = register_seller(api_client, password="short")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_register_seller_failure_in_profile_leaves_no_user(api_client: APIClient,
                                                           monkeypatch) -> None:  # noqa: ANN001
    def broken_create(**kwargs: object) -> SellerProfile:
        raise RuntimeError("profile insert failed")

    monkeypatch.setattr(SellerProfile.objects, "create", broken_create)

    with pytest.raises(RuntimeError):
        register_seller(api_client)

    assert not User.objects.filter(username="shopkeeper").exists()
    assert not SellerProfile.objects.exists()


def test_seller_register_rolls_back_user_and_profile_on_late_failure() -> None:
    def fail_after_insert(**kwargs: object) -> None:
        raise RuntimeError("failure after the profile row was written")

    post_save.connect(fail_after_insert, sender=SellerProfile, dispatch_uid="test-fail")
    try:
        with pytest.raises(RuntimeError):
            seller_register(**GOOD, country="DE")
    finally:
        post_save.disconnect(sender=SellerProfile, dispatch_uid="test-fail")

    assert not User.objects.filter(username="shopkeeper").exists()
    assert not SellerProfile.objects.exists()


def test_seller_profile_create_makes_existing_user_a_seller(user: User) -> None:
    profile = seller_profile_create(user=user, display_name="Binder", country="be")

    user.refresh_from_db()
    assert user.is_seller is True
    assert profile.country == "BE"
    assert profile.user_id == user.pk


def test_seller_profile_create_twice_is_conflict(user: User) -> None:
    seller_profile_create(user=user)

    with pytest.raises(Conflict):
        seller_profile_create(user=user)

    assert SellerProfile.objects.filter(user=user).count() == 1


def test_seller_profile_create_rejects_unknown_country(user: User) -> None:
    with pytest.raises(ValueError, match="unknown country"):
        seller_profile_create(user=user, country="XX")

    user.refresh_from_db()
    assert user.is_seller is False
