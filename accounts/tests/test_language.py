"""A user's language: remembered from the site's switch and their first sign-in, used for
their emails and notifications."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.services import user_language_set
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from catalogue.tests.factories import CardFactory
from messaging.models import Notification
from pricing.alerts import PricePoint, alert_create, alert_trigger
from pricing.digest import alert_digest_send
from pricing.models import PriceAlert

pytestmark = pytest.mark.django_db


def test_switching_the_site_language_remembers_it_for_a_signed_in_user(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "nl", "next": "/nl/"})
    assert response.status_code == 302 and response["Location"] == "/nl/"
    assert User.objects.get(pk=user.pk).language == "nl"
    client.post("/i18n/setlang/", {"language": "en", "next": "/en/"})
    assert User.objects.get(pk=user.pk).language == "en"


def test_an_unsupported_language_changes_nothing(client: Client) -> None:
    user = UserFactory(language="nl")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/nl/"})
    assert User.objects.get(pk=user.pk).language == "nl"
    assert user_language_set(user=user, language="de").language == "nl"


def test_the_first_sign_in_sets_the_language_and_later_ones_keep_a_choice(
        client: Client) -> None:
    user = UserFactory(username="anna")
    client.post("/nl/accounts/login/", {"login": "anna", "password": DEFAULT_PASSWORD})
    assert User.objects.get(pk=user.pk).language == "nl"
    client.logout()
    client.post("/en/accounts/login/", {"login": "anna", "password": DEFAULT_PASSWORD})
    assert User.objects.get(pk=user.pk).language == "nl"  # a choice is not overwritten


def test_signing_up_on_the_dutch_site_makes_a_dutch_account(client: Client) -> None:
    client.post("/nl/accounts/signup/", {
        "username": "bram", "email": "bram@example.com",
        "password1": "a-long-Passphrase-42", "password2": "a-long-Passphrase-42"})
    assert User.objects.get(username="bram").language == "nl"


def test_a_dutch_users_notification_and_digest_are_in_dutch() -> None:
    user = UserFactory(language="nl", alert_digest_opt_in=True)
    card = CardFactory(name="Charizard")
    alert = alert_create(user=user, card_id=card.pk, target_price=Decimal("750"))
    alert = PriceAlert.objects.select_related("user", "card").get(pk=alert.pk)
    assert alert_trigger(alert=alert, point=PricePoint(Decimal("712.50"), "cardmarket"))

    notification = Notification.objects.get(user=user)
    assert "Charizard" in notification.title and "hit your target" not in notification.title
    assert alert_digest_send(user=user) == 1
    assert mail.outbox[0].subject == "1 prijsmelding afgegaan"
