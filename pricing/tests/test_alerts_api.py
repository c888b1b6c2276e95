"""The alerts API: /alerts, /alerts/{id}, /alerts/digest-now, /api/alerts/unread-count and the
triggered-alert notifications /api/notifications[/…]."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from catalogue.tests.factories import CardFactory
from messaging.models import Notification
from pricing.alerts import alert_create, alerts_check
from pricing.ingest import Quote, prices_ingest
from pricing.models import PriceAlert

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():  # noqa: ANN201
    return CardFactory(name="Charizard")


def triggered(user, card, target="750", market="712.50"):  # noqa: ANN001, ANN201
    """An alert triggered through the real check."""
    alert = alert_create(user=user, card_id=card.pk, target_price=Decimal(target))
    prices_ingest(source="cardmarket", quotes=[Quote(
        ref=("card_id", card.pk), currency="EUR", market=Decimal(market),
        recorded_at=timezone.now())])
    assert alerts_check(card_ids={card.pk}) == 1
    alert.refresh_from_db()
    return alert


# --- Auth -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/alerts"), ("post", "/alerts"), ("delete", "/alerts/1"),
    ("post", "/alerts/digest-now"), ("get", "/api/alerts/unread-count"),
    ("get", "/api/notifications"), ("post", "/api/notifications/1/read"),
    ("post", "/api/notifications/read-all"),
])
def test_anonymous_is_401(api_client, method, url) -> None:  # noqa: ANN001
    response = getattr(api_client, method)(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


# --- POST /alerts -----------------------------------------------------------------------------


def test_create_returns_201_with_the_alert(session_client, card) -> None:  # noqa: ANN001
    response = session_client.post("/alerts", {"card_id": card.pk, "target_price": 800},
                                   format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"], "card_id": card.pk, "card_name": "Charizard", "target_price": 800.0,
        "condition": "below", "currency": "EUR", "is_active": True, "triggered_at": None,
        "triggered_price": None, "triggered_source": "", "created_at": body["created_at"]}
    assert PriceAlert.objects.get(pk=body["id"]).target_price == Decimal("800.00")


def test_create_with_an_api_key(key_client, user, card) -> None:  # noqa: ANN001
    response = key_client().post("/alerts", {"card_id": card.pk, "target_price": 12.5,
                                             "condition": "above", "currency": "eur"},
                                 format="json")
    assert response.status_code == 201
    assert (response.json()["condition"], response.json()["currency"]) == ("above", "EUR")
    assert PriceAlert.objects.get().user == user


@pytest.mark.parametrize(("body", "detail"), [
    ({"target_price": 5}, "card_id required"),
    ({"card_id": 1}, "target_price required"),
    ({}, "card_id, target_price required"),
])
def test_missing_fields_are_400(session_client, body, detail) -> None:  # noqa: ANN001
    response = session_client.post("/alerts", body, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": detail})


def test_malformed_body_is_400(session_client) -> None:  # noqa: ANN001
    response = session_client.post("/alerts", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    response = session_client.post("/alerts", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid JSON body")


@pytest.mark.parametrize(("body", "loc", "type_"), [
    ({"target_price": 0}, "target_price", "value_error.number.not_gt"),
    ({"target_price": -1}, "target_price", "value_error.number.not_gt"),
    ({"target_price": "abc"}, "target_price", "type_error.float"),
    ({"target_price": True}, "target_price", "type_error.float"),
    ({"target_price": "NaN"}, "target_price", "type_error.float"),
    ({"target_price": 1e12}, "target_price", "value_error.number.not_le"),
    ({"card_id": "x"}, "card_id", "type_error.integer"),
    ({"card_id": 10**20}, "card_id", "value_error.number.not_le"),
    ({"condition": "sideways"}, "condition", "type_error.enum"),
    ({"currency": 978}, "currency", "type_error.str"),
    ({"currency": "EURO"}, "currency", "value_error.any_str.max_length"),
    ({"currency": "XYZ"}, "currency", "value_error.currency"),
])
def test_invalid_fields_are_422(session_client, card, body, loc, type_) -> None:  # noqa: ANN001
    response = session_client.post("/alerts", {"card_id": card.pk, "target_price": 5, **body},
                                   format="json")
    assert response.status_code == 422, response.json()
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", loc], type_)
    assert not PriceAlert.objects.exists()


def test_unknown_card_is_404(session_client) -> None:  # noqa: ANN001
    response = session_client.post("/alerts", {"card_id": 99999999, "target_price": 5},
                                   format="json")
    assert (response.status_code, response.json()) == (404, {"detail": "Card not found"})


def test_duplicate_is_409(session_client, card) -> None:  # noqa: ANN001
    body = {"card_id": card.pk, "target_price": 800, "condition": "below", "currency": "EUR"}
    assert session_client.post("/alerts", body, format="json").status_code == 201
    response = session_client.post("/alerts", {**body, "target_price": "800.00"}, format="json")
    assert (response.status_code, response.json()) == (409, {"detail": "Alert already exists"})
    assert PriceAlert.objects.count() == 1


def test_cross_origin_cookie_write_is_refused(session_client, card) -> None:  # noqa: ANN001
    response = session_client.post("/alerts", {"card_id": card.pk, "target_price": 5},
                                   format="json", HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert not PriceAlert.objects.exists()


# --- GET /alerts, DELETE /alerts/{id} ---------------------------------------------------------


def test_list_shows_only_my_alerts_newest_first(session_client, user, make_user, card,
                                                django_assert_max_num_queries) -> None:  # noqa: ANN001
    other = CardFactory(name="Pikachu")
    old = alert_create(user=user, card_id=card.pk, target_price=5)
    new = alert_create(user=user, card_id=other.pk, target_price=7, condition="above")
    alert_create(user=make_user(), card_id=card.pk, target_price=5)
    for n in range(20):
        alert_create(user=user, card_id=card.pk, target_price=100 + n)
    with django_assert_max_num_queries(4):  # session, user, count, page
        response = session_client.get("/alerts?limit=3")
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (22, 3, 0)
    assert [item["target_price"] for item in body["items"]] == [119.0, 118.0, 117.0]
    everything = session_client.get("/alerts?limit=500").json()["items"]
    assert [item["id"] for item in everything[-2:]] == [new.pk, old.pk]
    assert everything[-2]["card_name"] == "Pikachu"


def test_list_paging_is_validated(session_client) -> None:  # noqa: ANN001
    response = session_client.get("/alerts?limit=501")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_delete(session_client, user, make_user, card) -> None:  # noqa: ANN001
    mine = alert_create(user=user, card_id=card.pk, target_price=5)
    theirs = alert_create(user=make_user(), card_id=card.pk, target_price=5)
    response = session_client.delete(f"/alerts/{theirs.pk}")
    assert (response.status_code, response.json()) == (404, {"detail": "Alert not found"})
    assert session_client.delete(f"/alerts/{mine.pk}").status_code == 204
    assert list(PriceAlert.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert session_client.delete(f"/alerts/{mine.pk}").status_code == 404
    assert session_client.delete("/alerts/99999999999999999999").status_code == 404


# --- Notifications ----------------------------------------------------------------------------


def test_unread_count_and_notifications(session_client, user, card,
                                        django_assert_max_num_queries) -> None:  # noqa: ANN001
    alert_create(user=user, card_id=card.pk, target_price=1)  # active: not a notification
    first = triggered(user, card)
    second = triggered(user, CardFactory(name="Blastoise"), target="100", market="90")
    assert session_client.get("/api/alerts/unread-count").json() == {"count": 2}

    with django_assert_max_num_queries(4):
        body = session_client.get("/api/notifications").json()
    assert body["total"] == 2
    assert [item["id"] for item in body["items"]] == [second.pk, first.pk]
    item = body["items"][1]
    assert (item["is_read"], item["read_at"], item["triggered_price"], item["is_active"]) == (
        False, None, 712.5, False)
    assert item["triggered_source"] == "cardmarket"

    response = session_client.post(f"/api/notifications/{first.pk}/read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert session_client.get("/api/alerts/unread-count").json() == {"count": 1}
    # The feed item of that alert is read too; the other one is not.
    assert list(Notification.objects.order_by("id").values_list("is_read", flat=True)) == [
        True, False]

    assert session_client.post("/api/notifications/read-all").json() == {"marked": 1}
    assert session_client.get("/api/alerts/unread-count").json() == {"count": 0}
    assert not Notification.objects.filter(is_read=False).exists()
    assert session_client.post("/api/notifications/read-all").json() == {"marked": 0}


def test_reading_an_untriggered_or_foreign_alert_is_404(session_client, user, make_user,
                                                        card) -> None:  # noqa: ANN001
    active = alert_create(user=user, card_id=card.pk, target_price=1)
    foreign = triggered(make_user(), card)
    for alert in (active, foreign):
        response = session_client.post(f"/api/notifications/{alert.pk}/read")
        assert (response.status_code, response.json()) == (
            404, {"detail": "Notification not found"})
    foreign.refresh_from_db()
    assert foreign.read_at is None


# --- POST /alerts/digest-now ------------------------------------------------------------------


def test_digest_now_sends_regardless_of_opt_in(session_client, user, card) -> None:  # noqa: ANN001
    assert not user.alert_digest_opt_in
    response = session_client.post("/alerts/digest-now")
    assert response.json() == {"sent": False, "alerts": 0, "reason": "nothing_pending"}
    assert mail.outbox == []

    triggered(user, card)
    response = session_client.post("/alerts/digest-now")
    assert (response.status_code, response.json()) == (
        200, {"sent": True, "alerts": 1, "reason": None})
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "Charizard" in message.body
    # Already emailed: the next digest has nothing to send.
    assert session_client.post("/alerts/digest-now").json()["alerts"] == 0


def test_digest_now_without_an_email_address(session_client, user, card) -> None:  # noqa: ANN001
    triggered(user, card)
    type(user).objects.filter(pk=user.pk).update(email="")
    response = session_client.post("/alerts/digest-now")
    assert response.json() == {"sent": False, "alerts": 0, "reason": "no_email"}
    assert mail.outbox == []


def test_endpoints_are_in_the_openapi_schema(api_client) -> None:  # noqa: ANN001
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = {path.rstrip("/") for path in schema["paths"]}
    for path in ("/alerts", "/alerts/{alert_id}", "/alerts/digest-now",
                 "/api/alerts/unread-count", "/api/notifications",
                 "/api/notifications/{alert_id}/read", "/api/notifications/read-all",
                 "/api/notifications/feed", "/api/notifications/feed/unread-count",
                 "/api/notifications/feed/{item_id}/read",
                 "/api/notifications/feed/read-all"):
        assert path in paths, path
