"""The unified notification feed: /api/notifications/feed[/unread-count|/{id}/read|/read-all]."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.tests.factories import CardFactory
from messaging.models import Notification
from messaging.services import notification_create
from pricing.alerts import PricePoint, alert_create, alert_trigger
from pricing.models import PriceAlert

pytestmark = pytest.mark.django_db


def message_note(user, *, minutes_ago: int = 0) -> Notification:  # noqa: ANN001
    note = notification_create(user=user, kind="new_message", title="Bericht van cardchef",
                               body="Is this card still available?",
                               data={"message_id": 14, "from_username": "cardchef"})
    Notification.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return note


def alert_note(user) -> tuple[PriceAlert, Notification]:  # noqa: ANN001
    card = CardFactory(name="Charizard")
    alert = alert_create(user=user, card_id=card.pk, target_price=750)
    alert = PriceAlert.objects.select_related("user", "card").get(pk=alert.pk)
    assert alert_trigger(alert=alert, point=PricePoint(Decimal("712.50"), "cardmarket"))
    return alert, Notification.objects.get(data__alert_id=alert.pk)


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/api/notifications/feed"), ("get", "/api/notifications/feed/unread-count"),
    ("post", "/api/notifications/feed/1/read"), ("post", "/api/notifications/feed/read-all"),
])
def test_anonymous_is_401(api_client, method, url) -> None:  # noqa: ANN001
    assert getattr(api_client, method)(url).status_code == 401


def test_feed_in_the_spec_shape_newest_first(session_client, user, make_user,
                                             django_assert_max_num_queries) -> None:  # noqa: ANN001
    message = message_note(user, minutes_ago=5)
    alert, note = alert_note(user)
    message_note(make_user())  # someone else's
    with django_assert_max_num_queries(4):
        response = session_client.get("/api/notifications/feed")
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (2, 50, 0)
    first, second = body["items"]
    assert first == {
        "id": note.pk, "kind": "alert_triggered", "title": "Charizard hit your target",
        "body": "Now €712.50 (target: €750.00)",
        "data": {"card_id": alert.card_id, "alert_id": alert.pk},
        "is_read": False, "created_at": first["created_at"]}
    assert (second["id"], second["kind"], second["data"]) == (
        message.pk, "new_message", {"message_id": 14, "from_username": "cardchef"})


def test_feed_is_paged(session_client, user) -> None:  # noqa: ANN001
    for n in range(3):
        message_note(user, minutes_ago=n)
    body = session_client.get("/api/notifications/feed?limit=2&offset=2").json()
    assert (body["total"], len(body["items"])) == (3, 1)
    response = session_client.get("/api/notifications/feed?limit=0")
    assert response.status_code == 422


def test_unread_count_per_kind(session_client, user) -> None:  # noqa: ANN001
    message_note(user)
    message_note(user)
    alert_note(user)
    assert session_client.get("/api/notifications/feed/unread-count").json() == {
        "count": 3, "by_kind": {"new_message": 2, "alert_triggered": 1}}


def test_reading_an_alert_item_marks_its_alert_read(session_client, user) -> None:  # noqa: ANN001
    alert, note = alert_note(user)
    response = session_client.post(f"/api/notifications/feed/{note.pk}/read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    alert.refresh_from_db()
    assert alert.read_at is not None
    assert session_client.get("/api/alerts/unread-count").json() == {"count": 0}
    # Idempotent.
    assert session_client.post(f"/api/notifications/feed/{note.pk}/read").status_code == 200


def test_reading_someone_elses_item_is_404(session_client, make_user) -> None:  # noqa: ANN001
    other = message_note(make_user())
    response = session_client.post(f"/api/notifications/feed/{other.pk}/read")
    assert (response.status_code, response.json()) == (404, {"detail": "Notification not found"})
    other.refresh_from_db()
    assert not other.is_read


def test_read_all_marks_items_and_triggered_alerts(session_client, user, make_user
                                                   ) -> None:  # noqa: ANN001
    message_note(user)
    alert, _note = alert_note(user)
    theirs = message_note(make_user())
    assert session_client.post("/api/notifications/feed/read-all").json() == {"marked": 2}
    assert not Notification.objects.filter(user=user, is_read=False).exists()
    alert.refresh_from_db()
    assert alert.read_at is not None
    theirs.refresh_from_db()
    assert not theirs.is_read
    assert session_client.get("/api/notifications/feed/unread-count").json() == {
        "count": 0, "by_kind": {}}


def test_the_feed_route_is_not_taken_for_an_alert_id(session_client, user) -> None:  # noqa: ANN001
    # /api/notifications/feed/… belongs to the feed, /api/notifications/{id}/read to alerts.
    _alert, note = alert_note(user)
    assert session_client.get("/api/notifications/feed/").status_code == 200
    assert session_client.post("/api/notifications/feed/read-all/").status_code == 200
    assert session_client.post(f"/api/notifications/feed/{note.pk}/read/").status_code == 200


def test_unknown_kind_is_refused(user) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="unknown notification kind"):
        notification_create(user=user, kind="spam", title="x")
