"""The alerts page (/en/alerts/, /nl/alerts/): list, create, delete, digest opt-in, digest now."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from catalogue.tests.factories import CardFactory, CardSetFactory
from pricing.alerts import PricePoint, alert_create, alert_trigger
from pricing.ingest import Quote, prices_ingest
from pricing.models import PriceAlert

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def card():  # noqa: ANN201
    return CardFactory(name="Charizard", number="4", card_set=CardSetFactory(name="Base"))


def test_login_required(client) -> None:  # noqa: ANN001
    response = client.get("/en/alerts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


def test_browser_asking_for_the_api_path_gets_the_page(client_in) -> None:  # noqa: ANN001
    response = client_in.get("/alerts", HTTP_ACCEPT="text/html")
    assert (response.status_code, response["Location"]) == (302, "/en/alerts")


def test_page_lists_my_alerts_with_the_current_price(client_in, user, make_user, card,
                                                     django_assert_max_num_queries
                                                     ) -> None:  # noqa: ANN001
    prices_ingest(source="cardmarket", quotes=[Quote(
        ref=("card_id", card.pk), currency="EUR", market=Decimal("812.00"),
        recorded_at=timezone.now())])
    alert_create(user=user, card_id=card.pk, target_price=750)
    fired = alert_create(user=user, card_id=card.pk, target_price=900, condition="above")
    fired = PriceAlert.objects.select_related("user", "card").get(pk=fired.pk)
    alert_trigger(alert=fired, point=PricePoint(Decimal("901.00"), "ebay"))
    for _ in range(10):
        alert_create(user=user, card_id=CardFactory().pk, target_price=3)
    alert_create(user=make_user(), card_id=card.pk, target_price=1234)
    with django_assert_max_num_queries(8):
        response = client_in.get("/en/alerts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Charizard" in html and "Base #4" in html
    assert "below €750.00" in html
    assert "€812.00" in html and "on Cardmarket" in html  # the price it compares now
    assert "at €901.00" in html  # the triggered one
    assert "€1,234.00" not in html  # someone else's
    assert html.count('name="action" value="delete"') == 12


def test_card_link_preselects_the_card_and_creates(client_in, user, card) -> None:  # noqa: ANN001
    page = client_in.get(f"/en/alerts/?card={card.pk}").content.decode()
    assert "Card: <strong>Charizard</strong> (Base #4)" in page
    assert f'name="card_id" value="{card.pk}"' in page
    response = client_in.post(f"/en/alerts/?card={card.pk}", {
        "action": "create", "card_id": card.pk, "target_price": "750.5",
        "condition": "below", "currency": "EUR"}, follow=True)
    assert response.status_code == 200
    alert = PriceAlert.objects.get(user=user)
    assert (alert.card, alert.target_price, alert.condition) == (card, Decimal("750.50"),
                                                                 "below")
    assert "Alert set: Charizard below €750.50." in response.content.decode()


def test_dutch_page_takes_a_decimal_comma(client_in, user, card) -> None:  # noqa: ANN001
    response = client_in.get("/nl/alerts/")
    assert response.status_code == 200
    assert '<html lang="nl">' in response.content.decode()
    client_in.post("/nl/alerts/", {"action": "create", "card_id": card.pk,
                                   "target_price": "12,50", "condition": "above",
                                   "currency": "EUR"})
    assert PriceAlert.objects.get(user=user).target_price == Decimal("12.50")


def test_search_finds_cards_to_alert_on(client_in, card) -> None:  # noqa: ANN001
    html = client_in.get("/en/alerts/?q=charizard").content.decode()
    assert f'href="/en/alerts/?card={card.pk}"' in html
    assert "Alert me about Charizard (Base #4)" in html
    assert "No cards match" in client_in.get("/en/alerts/?q=zzzzqqq").content.decode()


def test_bad_create_input_is_shown_not_stored(client_in, user, card) -> None:  # noqa: ANN001
    response = client_in.post("/en/alerts/", {"action": "create", "card_id": card.pk,
                                              "target_price": "0", "condition": "below",
                                              "currency": "EUR"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    alert_create(user=user, card_id=card.pk, target_price=5)
    response = client_in.post("/en/alerts/", {"action": "create", "card_id": card.pk,
                                              "target_price": "5", "condition": "below",
                                              "currency": "EUR"})
    assert "You already have this alert." in response.content.decode()
    response = client_in.post("/en/alerts/", {"action": "create", "card_id": card.pk,
                                              "target_price": "5", "condition": "below",
                                              "currency": "KRW"})
    assert "Prices cannot be converted into KRW yet" in response.content.decode()
    response = client_in.post("/en/alerts/", {"action": "create", "card_id": 99999999,
                                              "target_price": "5", "condition": "below",
                                              "currency": "EUR"}, follow=True)
    assert "That card does not exist." in response.content.decode()
    assert PriceAlert.objects.count() == 1


def test_delete_only_mine(client_in, user, make_user, card) -> None:  # noqa: ANN001
    mine = alert_create(user=user, card_id=card.pk, target_price=5)
    theirs = alert_create(user=make_user(), card_id=card.pk, target_price=5)
    response = client_in.post("/en/alerts/", {"action": "delete", "alert_id": theirs.pk},
                              follow=True)
    assert "That alert does not exist." in response.content.decode()
    response = client_in.post("/en/alerts/", {"action": "delete", "alert_id": mine.pk},
                              follow=True)
    assert "The alert has been deleted." in response.content.decode()
    assert list(PriceAlert.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_digest_opt_in_toggle_and_send_now(client_in, user, card) -> None:  # noqa: ANN001
    client_in.post("/en/alerts/", {"action": "digest", "alert_digest_opt_in": "on"})
    user.refresh_from_db()
    assert user.alert_digest_opt_in
    assert 'id="id_alert_digest_opt_in" checked' in client_in.get("/en/alerts/").content.decode()
    client_in.post("/en/alerts/", {"action": "digest"})
    user.refresh_from_db()
    assert not user.alert_digest_opt_in

    response = client_in.post("/en/alerts/", {"action": "digest-now"}, follow=True)
    assert "There are no triggered alerts to email." in response.content.decode()
    alert = alert_create(user=user, card_id=card.pk, target_price=5)
    alert_trigger(alert=PriceAlert.objects.select_related("user", "card").get(pk=alert.pk),
                  point=PricePoint(Decimal("4.00"), "cardmarket"))
    response = client_in.post("/en/alerts/", {"action": "digest-now"}, follow=True)
    assert "We emailed you 1 triggered alert." in response.content.decode()
    assert len(mail.outbox) == 1


def test_forms_need_csrf(user) -> None:  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/en/alerts/", {"action": "digest-now"}).status_code == 403
