"""The daily price-alert digest email and its Celery tasks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.services import user_alert_digest_set
from catalogue.tests.factories import CardFactory, CardSetFactory
from pricing.alerts import PricePoint, alert_create, alert_trigger
from pricing.digest import alert_digest_recipients, alert_digest_send
from pricing.models import PriceAlert
from pricing.tasks import alert_digest_send_user, alert_digests_send

pytestmark = pytest.mark.django_db


def trigger(user, name="Charizard", target="750", price="712.50", **kw) -> PriceAlert:  # noqa: ANN001
    card = CardFactory(name=name, card_set=CardSetFactory(name="Base"))
    alert = alert_create(user=user, card_id=card.pk, target_price=Decimal(target), **kw)
    alert = PriceAlert.objects.select_related("user", "card").get(pk=alert.pk)
    assert alert_trigger(alert=alert, point=PricePoint(Decimal(price), "cardmarket"))
    return alert


def test_nothing_is_sent_without_opt_in_unless_forced(user) -> None:  # noqa: ANN001
    trigger(user)
    assert alert_digest_send(user=user) == 0
    assert mail.outbox == []
    assert alert_digest_send(user=user, force=True) == 1
    assert len(mail.outbox) == 1


def test_digest_lists_pending_alerts_once(user) -> None:  # noqa: ANN001
    user_alert_digest_set(user=user, enabled=True)
    first = trigger(user)
    second = trigger(user, name="Blastoise", target="100", price="120.00", condition="above",
                     currency="EUR")
    alert_create(user=user, card_id=CardFactory().pk, target_price=5)  # still active

    assert alert_digest_send(user=user) == 2
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "2 price alerts triggered"
    assert "Charizard (Base)" in message.body
    assert "€712.50 on Cardmarket — your target: below €750.00" in message.body
    assert "€120.00 on Cardmarket — your target: above €100.00" in message.body
    card_url = (f"{settings.SITE_URL}/en/{first.card.tcg.slug}/cards/{first.card_id}/")
    assert card_url in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="{card_url}">Charizard</a>' in html
    assert "Blastoise" in html
    assert PriceAlert.objects.filter(pk__in=[first.pk, second.pk],
                                     emailed_at__isnull=False).count() == 2

    # Already emailed: no second email until something new triggers.
    assert alert_digest_send(user=user) == 0
    trigger(user, name="Venusaur")
    assert alert_digest_send(user=user) == 1
    assert mail.outbox[1].subject == "1 price alert triggered"
    assert "Venusaur" in mail.outbox[1].body and "Charizard" not in mail.outbox[1].body


def test_a_failed_send_marks_nothing(user, settings) -> None:  # noqa: ANN001
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    settings.EMAIL_TIMEOUT = 2
    alert = trigger(user)
    with pytest.raises(OSError):
        alert_digest_send(user=user, force=True)
    alert.refresh_from_db()
    assert alert.emailed_at is None


def test_no_address_no_email(user) -> None:  # noqa: ANN001
    trigger(user)
    user.email = ""
    assert alert_digest_send(user=user, force=True) == 0
    assert mail.outbox == []


def test_recipients_are_opted_in_active_users_with_pending_alerts(make_user) -> None:  # noqa: ANN001
    opted, lazy, done, gone, empty = (make_user() for _ in range(5))
    for user in (opted, done, gone, empty):
        user_alert_digest_set(user=user, enabled=True)
    trigger(opted)
    trigger(lazy)  # not opted in
    PriceAlert.objects.filter(pk=trigger(done).pk).update(emailed_at=timezone.now())
    trigger(gone)
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    # `empty` has no triggered alert.
    assert alert_digest_recipients() == [opted.pk]


def test_daily_task_sends_each_opted_in_user_their_digest(make_user) -> None:  # noqa: ANN001
    alice, bob, carol = make_user(), make_user(), make_user()
    for user in (alice, bob):
        user_alert_digest_set(user=user, enabled=True)
        trigger(user)
    trigger(carol)
    assert alert_digests_send.delay().get() == 2  # tasks run eagerly in tests
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    assert alert_digests_send.delay().get() == 0
    assert len(mail.outbox) == 2


def test_user_task_respects_a_later_opt_out(user) -> None:  # noqa: ANN001
    trigger(user)
    assert alert_digest_send_user.delay(user.pk).get() == 0
    assert alert_digest_send_user.delay(987654).get() == 0
    user_alert_digest_set(user=user, enabled=True)
    assert alert_digest_send_user.delay(user.pk).get() == 1


def test_the_digest_is_in_the_beat_schedule() -> None:
    entries = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    schedule = entries["pricing.tasks.alert_digests_send"]["schedule"]
    assert (schedule.hour, schedule.minute) == ({7}, {0})


def test_digest_query_count(user, django_assert_max_num_queries) -> None:  # noqa: ANN001
    for n in range(15):
        trigger(user, name=f"Card {n}")
    # savepoint/select for update, update (+ transaction bookkeeping), whatever the count
    with django_assert_max_num_queries(4):
        assert alert_digest_send(user=user, force=True) == 15
