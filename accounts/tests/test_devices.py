"""POST / DELETE /api/devices/register."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.devices import device_register, device_unregister
from accounts.models import Device
from accounts.tests.factories import UserFactory

URL = "/api/devices/register"
TOKEN = "fcm:" + "a" * 140


def post(client: APIClient, body: dict):  # noqa: ANN201
    return client.post(URL, body, format="json")


def delete(client: APIClient, body: dict):  # noqa: ANN201
    return client.delete(URL, body, format="json")


@pytest.mark.django_db
def test_register_needs_login(api_client):
    response = post(api_client, {"platform": "android", "token": TOKEN})
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert delete(api_client, {"token": TOKEN}).status_code == 401
    assert not Device.objects.exists()


@pytest.mark.django_db
def test_register_creates_a_device(session_client, user):
    response = post(session_client, {"platform": "android", "token": TOKEN,
                                     "app_version": "1.10.0"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "platform", "token", "app_version", "created_at", "updated_at"}
    assert (body["platform"], body["token"], body["app_version"]) == ("android", TOKEN, "1.10.0")
    device = Device.objects.get()
    assert (device.pk, device.user) == (body["id"], user)


@pytest.mark.django_db
def test_registering_again_refreshes(session_client):
    first = post(session_client, {"platform": "android", "token": TOKEN}).json()
    response = post(session_client, {"platform": "android", "token": TOKEN,
                                     "app_version": "1.11.0"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == first["id"]
    assert body["app_version"] == "1.11.0"
    assert body["created_at"] == first["created_at"]
    assert body["updated_at"] >= first["updated_at"]
    assert Device.objects.count() == 1


@pytest.mark.django_db
def test_token_moves_to_the_new_user(session_client, user):
    previous_owner = UserFactory()
    device, created = device_register(user=previous_owner, platform="ios", token=TOKEN)
    assert created
    response = post(session_client, {"platform": "ios", "token": TOKEN})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.user == user
    assert not previous_owner.devices.exists()


@pytest.mark.django_db
def test_register_with_an_api_key(key_client, user):
    response = post(key_client(), {"platform": "ios", "token": TOKEN})
    assert response.status_code == 201
    assert Device.objects.get().user == user


@pytest.mark.django_db
def test_a_token_of_512_characters_is_accepted(session_client):
    assert post(session_client, {"platform": "ios", "token": "t" * 512}).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "field"), [
    ({"platform": "windows", "token": TOKEN}, "platform"),
    ({"platform": "Android", "token": TOKEN}, "platform"),
    ({"platform": "ios", "token": "t" * 513}, "token"),
    ({"platform": "ios", "token": TOKEN, "app_version": "1" * 33}, "app_version"),
])
def test_register_rejects_invalid_fields(session_client, body, field):
    response = post(session_client, body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert not Device.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    {"platform": "ios"},
    {"token": TOKEN},
    {"platform": "ios", "token": ""},
    {"platform": "ios", "token": None},
    {},
])
def test_register_with_a_missing_field_is_400(session_client, body):
    response = post(session_client, body)
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    assert "required" in response.json()["detail"]


@pytest.mark.django_db
def test_register_body_must_be_an_object(session_client):
    response = session_client.post(URL, "[]", content_type="application/json")
    assert response.status_code == 400


# --- DELETE ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_unregister_deletes_the_device(session_client, user):
    device_register(user=user, platform="android", token=TOKEN)
    response = delete(session_client, {"token": TOKEN})
    assert response.status_code == 204
    assert response.content == b""
    assert not Device.objects.exists()
    again = delete(session_client, {"token": TOKEN})
    assert again.status_code == 404
    assert again.json() == {"detail": "Device not found"}


@pytest.mark.django_db
def test_cannot_unregister_someone_elses_token(session_client):
    other = UserFactory()
    device_register(user=other, platform="android", token=TOKEN)
    response = delete(session_client, {"token": TOKEN})
    assert response.status_code == 404
    assert response.json() == {"detail": "Device not found"}
    assert Device.objects.get().user == other


@pytest.mark.django_db
def test_unregister_without_token_is_400(session_client):
    response = delete(session_client, {})
    assert response.status_code == 400
    assert response.json() == {"detail": "token required"}


def test_services_keep_tokens_unique(db):
    alice, bob = UserFactory(), UserFactory()
    device_register(user=alice, platform="android", token=TOKEN, app_version="1")
    device_register(user=bob, platform="ios", token=TOKEN, app_version="")
    device = Device.objects.get()
    assert (device.user, device.platform, device.app_version) == (bob, "ios", "")
    assert not device_unregister(user=alice, token=TOKEN)
    assert device_unregister(user=bob, token=TOKEN)
