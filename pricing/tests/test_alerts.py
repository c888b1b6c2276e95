"""Price alerts: creation rules and the check that triggers them after new prices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.exceptions import NotFound

from catalogue.tests.factories import CardFactory
from csm.api.errors import Conflict, UnprocessableEntity
from messaging.models import Notification
from pricing.alerts import (
    PricePoint,
    alert_create,
    alert_delete,
    alert_trigger,
    alerts_check,
    alerts_mark_read,
    money_display,
)
from pricing.ingest import Quote, prices_ingest
from pricing.models import FxRate, PriceAlert

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def price(card, market, *, source="cardmarket", currency="EUR", at=None, **kw) -> None:  # noqa: ANN001
    """Write a current price through the real ingest path."""
    result = prices_ingest(source=source, quotes=[Quote(
        ref=("card_id", card.pk), currency=currency, market=Decimal(str(market)),
        recorded_at=at or timezone.now(), **kw)])
    assert result.written == 1, result


@pytest.fixture
def card():  # noqa: ANN201
    return CardFactory(name="Charizard")


@pytest.fixture
def usd_rate() -> FxRate:
    return FxRate.objects.create(date=date(2026, 11, 2), currency="USD", rate=Decimal("1.25"))


# --- alert_create / alert_delete --------------------------------------------------------------


def test_create_stores_an_active_alert_rounded_to_cents(user, card) -> None:  # noqa: ANN001
    alert = alert_create(user=user, card_id=card.pk, target_price=799.999, condition="below",
                         currency="eur")
    alert.refresh_from_db()
    assert (alert.target_price, alert.currency, alert.is_active) == (Decimal("800.00"), "EUR",
                                                                     True)
    assert alert.triggered_at is None


@pytest.mark.parametrize("target", [0, -5, "0.004"])
def test_target_at_or_below_zero_is_422(user, card, target) -> None:  # noqa: ANN001
    with pytest.raises(UnprocessableEntity) as exc:
        alert_create(user=user, card_id=card.pk, target_price=target)
    assert exc.value.errors == [{"loc": ["body", "target_price"],
                                 "msg": "ensure this value is greater than 0",
                                 "type": "value_error.number.not_gt"}]
    assert not PriceAlert.objects.exists()


def test_unknown_card_is_404(user) -> None:  # noqa: ANN001
    with pytest.raises(NotFound, match="Card not found"):
        alert_create(user=user, card_id=987654, target_price=5)


def test_currency_needs_a_rate_or_prices_in_it(user, card) -> None:  # noqa: ANN001
    for bad in ("XYZ", "USD"):  # not ISO 4217 we know; no USD rate and no USD prices
        with pytest.raises(UnprocessableEntity) as exc:
            alert_create(user=user, card_id=card.pk, target_price=5, currency=bad)
        assert exc.value.errors[0]["loc"] == ["body", "currency"]
    price(card, "10.00", source="tcgplayer", currency="USD")
    assert alert_create(user=user, card_id=card.pk, target_price=5, currency="USD").pk
    FxRate.objects.create(date=date(2026, 11, 2), currency="GBP", rate=Decimal("0.85"))
    assert alert_create(user=user, card_id=card.pk, target_price=5, currency="GBP").pk


def test_duplicate_active_alert_is_409_but_a_triggered_one_can_be_set_again(
        user, card) -> None:  # noqa: ANN001
    first = alert_create(user=user, card_id=card.pk, target_price=750)
    with pytest.raises(Conflict, match="Alert already exists"):
        alert_create(user=user, card_id=card.pk, target_price="750.00")
    # Other direction, target or currency: a different alert.
    alert_create(user=user, card_id=card.pk, target_price=750, condition="above")
    alert_create(user=user, card_id=card.pk, target_price=751)
    PriceAlert.objects.filter(pk=first.pk).update(is_active=False, triggered_at=NOW)
    assert alert_create(user=user, card_id=card.pk, target_price=750).pk != first.pk


def test_duplicate_is_decided_by_the_database_constraint(user, card) -> None:  # noqa: ANN001
    # A concurrent create that already committed: no exists-check in the service could see
    # it coming, the partial unique constraint refuses it inside a savepoint.
    PriceAlert.objects.create(user=user, card=card, target_price=Decimal("10.00"))
    with pytest.raises(Conflict):
        alert_create(user=user, card_id=card.pk, target_price=10)
    assert PriceAlert.objects.count() == 1  # the outer transaction is still usable


def test_delete_only_my_alert(user, make_user, card) -> None:  # noqa: ANN001
    alert = alert_create(user=user, card_id=card.pk, target_price=5)
    with pytest.raises(NotFound, match="Alert not found"):
        alert_delete(user=make_user(), alert_id=alert.pk)
    alert_delete(user=user, alert_id=alert.pk)
    assert not PriceAlert.objects.exists()
    with pytest.raises(NotFound):
        alert_delete(user=user, alert_id=alert.pk)


# --- alerts_check -----------------------------------------------------------------------------


def test_below_triggers_once_with_a_notification(user, card) -> None:  # noqa: ANN001
    alert = alert_create(user=user, card_id=card.pk, target_price=750)
    price(card, "800.00")
    assert alerts_check(card_ids={card.pk}) == 0
    alert.refresh_from_db()
    assert alert.is_active

    price(card, "712.50", at=timezone.now() + timedelta(seconds=1))
    assert alerts_check(card_ids={card.pk}) == 1
    alert.refresh_from_db()
    assert (alert.is_active, alert.triggered_price, alert.triggered_source) == (
        False, Decimal("712.50"), "cardmarket")
    assert alert.triggered_at is not None
    note = Notification.objects.get()
    assert (note.user, note.kind, note.is_read) == (user, "alert_triggered", False)
    assert note.title == "Charizard hit your target"
    assert note.body == "Now €712.50 (target: €750.00)"
    assert note.data == {"card_id": card.pk, "alert_id": alert.pk}

    # Exactly once: later checks (and lower prices) change nothing.
    price(card, "600.00", at=timezone.now() + timedelta(seconds=2))
    assert alerts_check(card_ids={card.pk}) == 0
    assert Notification.objects.count() == 1
    alert.refresh_from_db()
    assert alert.triggered_price == Decimal("712.50")


def test_the_target_itself_counts_as_crossed(user, card) -> None:  # noqa: ANN001
    below = alert_create(user=user, card_id=card.pk, target_price=20)
    above = alert_create(user=user, card_id=card.pk, target_price=20, condition="above")
    price(card, "20.00")
    assert alerts_check(card_ids={card.pk}) == 2
    assert not PriceAlert.objects.filter(pk__in=[below.pk, above.pk], is_active=True).exists()


def test_above_uses_the_highest_and_below_the_lowest_source(user, card) -> None:  # noqa: ANN001
    above = alert_create(user=user, card_id=card.pk, target_price=30, condition="above")
    below = alert_create(user=user, card_id=card.pk, target_price=30)
    price(card, "25.00", source="cardmarket")
    price(card, "35.00", source="cardtrader")
    price(card, "29.00", source="ebay")
    assert alerts_check(card_ids={card.pk}) == 2
    above.refresh_from_db()
    below.refresh_from_db()
    assert (above.triggered_price, above.triggered_source) == (Decimal("35.00"), "cardtrader")
    assert (below.triggered_price, below.triggered_source) == (Decimal("25.00"), "cardmarket")


def test_prices_are_compared_in_the_alert_currency(user, card, usd_rate) -> None:  # noqa: ANN001
    # 1 EUR = 1.25 USD: $100 is €80.00.
    eur_alert = alert_create(user=user, card_id=card.pk, target_price="80.00")
    usd_alert = alert_create(user=user, card_id=card.pk, target_price="99.99", currency="USD")
    price(card, "100.00", source="tcgplayer", currency="USD")
    assert alerts_check(card_ids={card.pk}) == 1
    eur_alert.refresh_from_db()
    usd_alert.refresh_from_db()
    assert (eur_alert.is_active, eur_alert.triggered_price) == (False, Decimal("80.00"))
    assert usd_alert.is_active  # $100.00 is not ≤ $99.99


def test_a_price_without_a_rate_is_skipped(user, card) -> None:  # noqa: ANN001
    price(card, "1.00", source="tcgplayer", currency="USD")
    FxRate.objects.create(date=date(2026, 11, 2), currency="GBP", rate=Decimal("0.85"))
    alert = alert_create(user=user, card_id=card.pk, target_price=500, currency="GBP")
    assert alerts_check(card_ids={card.pk}) == 0  # no USD rate: $1 is not guessed into GBP
    alert.refresh_from_db()
    assert alert.is_active


def test_graded_other_conditions_and_synthetic_prices_do_not_trigger(
        user, card) -> None:  # noqa: ANN001
    alert = alert_create(user=user, card_id=card.pk, target_price=50)
    price(card, "10.00", source="ebay", grade="psa_10")
    price(card, "10.00", condition="HP")
    prices_ingest(source="cardtrader", synthetic=True, quotes=[Quote(
        ref=("card_id", card.pk), currency="EUR", market=Decimal("10.00"))])
    price(card, "60.00")
    assert alerts_check(card_ids={card.pk}) == 0
    alert.refresh_from_db()
    assert alert.is_active


def test_only_changed_cards_are_checked(user, card) -> None:  # noqa: ANN001
    other = CardFactory()
    alert = alert_create(user=user, card_id=card.pk, target_price=50)
    price(card, "10.00")
    assert alerts_check(card_ids={other.pk}) == 0
    assert alerts_check(card_ids=set()) == 0
    alert.refresh_from_db()
    assert alert.is_active


def test_an_inactive_users_alert_does_not_trigger(user, card) -> None:  # noqa: ANN001
    alert_create(user=user, card_id=card.pk, target_price=50)
    price(card, "10.00")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert alerts_check(card_ids={card.pk}) == 0


def test_only_the_winning_claim_records_a_notification(user, card) -> None:  # noqa: ANN001
    alert = alert_create(user=user, card_id=card.pk, target_price=50)
    stale = PriceAlert.objects.select_related("user", "card").get(pk=alert.pk)
    point = PricePoint(Decimal("40.00"), "cardmarket")
    assert alert_trigger(alert=stale, point=point) is True
    # A second check that loaded the alert while it was still active loses the claim.
    assert alert_trigger(alert=PriceAlert.objects.select_related("user", "card").get(
        pk=alert.pk), point=point) is False
    stale.is_active = True
    assert alert_trigger(alert=stale, point=PricePoint(Decimal("30.00"), "ebay")) is False
    assert Notification.objects.count() == 1
    alert.refresh_from_db()
    assert (alert.triggered_price, alert.triggered_source) == (Decimal("40.00"), "cardmarket")


def test_check_is_set_based(user, django_assert_max_num_queries) -> None:  # noqa: ANN001
    cards = [CardFactory() for _ in range(30)]
    for card in cards:
        alert_create(user=user, card_id=card.pk, target_price=5)
        price(card, "9.00")
    ids = {card.pk for card in cards} | set(range(10**6, 10**6 + 20_000))
    # exists + (alerts + prices) per chunk of 5,000 ids: 1 + 5 × 2, whatever the alert count.
    with django_assert_max_num_queries(11):
        assert alerts_check(card_ids=ids) == 0


def test_check_without_any_active_alert_is_one_query(card, django_assert_num_queries
                                                     ) -> None:  # noqa: ANN001
    price(card, "1.00")
    with django_assert_num_queries(1):
        assert alerts_check(card_ids=set(range(1, 100_001))) == 0


def test_new_prices_trigger_alerts_after_commit(user, card,
                                               django_capture_on_commit_callbacks
                                               ) -> None:  # noqa: ANN001
    alert = alert_create(user=user, card_id=card.pk, target_price=750)
    with django_capture_on_commit_callbacks(execute=True):
        price(card, "700.00", at=datetime(2026, 11, 2, 8, tzinfo=UTC))
    alert.refresh_from_db()
    assert not alert.is_active
    assert Notification.objects.filter(user=user, data__alert_id=alert.pk).count() == 1


def test_mark_read_marks_the_alert_and_its_feed_item(user, card) -> None:  # noqa: ANN001
    alert = alert_create(user=user, card_id=card.pk, target_price=50)
    price(card, "10.00")
    alerts_check(card_ids={card.pk})
    assert alerts_mark_read(user=user, alert_ids=[alert.pk]) == 1
    alert.refresh_from_db()
    assert alert.read_at is not None
    assert Notification.objects.get().is_read
    assert alerts_mark_read(user=user) == 0


def test_money_display_formats() -> None:
    from django.utils import translation

    with translation.override("en"):
        assert money_display(Decimal("1234.5"), "USD") == "$1,234.50"
        assert money_display(Decimal("12"), "CHF") == "CHF 12.00"
    with translation.override("nl"):
        assert money_display(Decimal("1234.5"), "EUR").endswith("1.234,50")
