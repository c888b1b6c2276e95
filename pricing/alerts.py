"""Price alerts: create and delete (services), list and count (selectors), and the check that
runs after every ingest (`alerts_check`, called by pricing.receivers after commit).

How an alert compares (also in docs/api-notes.md, "Price alerts"):
- It watches the card's current raw (ungraded), Near Mint market prices from every source,
  finish and language — the price book's current rows, synthetic rows excluded — each
  converted into the alert's currency through the latest ECB reference rate. A row whose
  currency has no rate is skipped, never guessed.
- `below` triggers when any of those prices is ≤ the target, `above` when any is ≥ it: the
  current price being on the target's side counts as crossing it, so an alert created while
  the price is already there triggers on the next price update.
- The price recorded is the extreme one (the lowest for `below`, the highest for `above`)
  with its source.
- An alert triggers exactly once: the check claims it with a conditional UPDATE
  (`is_active=True` → False) and only the process whose UPDATE changed the row records the
  notification; the alert is then inactive, and the same alert can be set again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext
from rest_framework.exceptions import NotFound

from accounts.models import User
from catalogue.models import Card
from csm.api.errors import Conflict, UnprocessableEntity, error_item
from messaging.models import Notification
from messaging.services import notification_create, notifications_mark_read_for_alerts
from pricing.fx import Converter
from pricing.ingest import CURRENCIES
from pricing.models import RAW, Condition, FxRate, Price, PriceAlert

CENT = Decimal("0.01")
MAX_TARGET = Decimal("9999999.99")  # the price book refuses prices ≥ 10,000,000
CHECK_CHUNK = 5000  # card ids per query (SQLite allows 32,766 parameters)
ALERT_CURRENCIES = ("EUR", *sorted(CURRENCIES - {"EUR"}))
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


# --- Money and language -----------------------------------------------------------------------


def money_display(amount: Decimal, currency: str) -> str:
    """`€712.50`, `$1,234.00`, `CHF 12.50` in the active language's number format."""
    figure = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(currency)
    if symbol:
        return gettext("%(symbol)s%(amount)s") % {"symbol": symbol, "amount": figure}
    return gettext("%(currency)s %(amount)s") % {"currency": currency, "amount": figure}


def user_language(user: User) -> str:
    """The language to write to a user in: their `language` when the account has one we
    support, else the site default (accounts have no language preference yet)."""
    language = getattr(user, "language", "") or ""
    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else settings.LANGUAGE_CODE


# --- Selectors --------------------------------------------------------------------------------


def alert_list(*, user: User) -> QuerySet[PriceAlert]:
    """The user's alerts, newest first, with the card's name, number, set and game."""
    return (PriceAlert.objects.filter(user=user)
            .select_related("card__tcg", "card__card_set")
            .only("id", "user_id", "card_id", "card__name", "card__number", "card__tcg__slug",
                  "card__card_set__name", "target_price", "condition",
                  "currency", "is_active", "created_at", "triggered_at", "triggered_price",
                  "triggered_source", "read_at", "emailed_at")
            .order_by("-created_at", "-id"))


def alert_triggered_list(*, user: User) -> QuerySet[PriceAlert]:
    """The user's triggered alerts (their notifications), newest trigger first."""
    return alert_list(user=user).filter(triggered_at__isnull=False).order_by(
        "-triggered_at", "-id")


def alert_unread_count(*, user: User) -> int:
    return PriceAlert.objects.filter(user=user, triggered_at__isnull=False,
                                     read_at__isnull=True).count()


def alert_currency_supported(currency: str) -> bool:
    """EUR (the rates' base), a currency with an ECB rate, or one the price book holds prices
    in (comparable without conversion)."""
    if currency not in CURRENCIES:
        return False
    return (currency == "EUR" or FxRate.objects.filter(currency=currency).exists()
            or Price.objects.filter(currency=currency).exists())


@dataclass(frozen=True, slots=True)
class PricePoint:
    """A card's current price in an alert's currency, and where it came from."""

    price: Decimal
    source: str


def card_current_prices(*, card_ids: Iterable[int]) -> dict[int, list[tuple[str, str, Decimal]]]:
    """(source, currency, market price) of the cards' current raw NM rows. One query."""
    rows = (Price.objects.filter(card_id__in=sorted(set(card_ids)), grade=RAW,
                                 condition=Condition.NM, market_price__isnull=False,
                                 is_synthetic=False)
            .order_by().values_list("card_id", "source", "currency", "market_price"))
    prices: dict[int, list[tuple[str, str, Decimal]]] = defaultdict(list)
    for card_id, source, currency, market in rows:
        prices[card_id].append((source, currency, market))
    return prices


def alert_price_now(alert: PriceAlert, rows: Iterable[tuple[str, str, Decimal]],
                    convert: Converter) -> PricePoint | None:
    """The price an alert compares against its target: of the card's current prices in the
    alert's currency, the lowest for `below`, the highest for `above` (None without any)."""
    points = []
    for source, currency, market in rows:
        price = convert(market, currency, alert.currency)
        if price is not None:
            points.append(PricePoint(price, source))
    if not points:
        return None
    if alert.condition == PriceAlert.Direction.ABOVE:
        return max(points, key=lambda p: (p.price, p.source))
    return min(points, key=lambda p: (p.price, p.source))


def alert_is_hit(alert: PriceAlert, point: PricePoint | None) -> bool:
    if point is None:
        return False
    if alert.condition == PriceAlert.Direction.ABOVE:
        return point.price >= alert.target_price
    return point.price <= alert.target_price


# --- Services ---------------------------------------------------------------------------------


def _invalid(field: str, msg: str, type_: str) -> UnprocessableEntity:
    return UnprocessableEntity([error_item(["body", field], msg, type_)])


def _is_unique_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(exc)  # SQLite


def alert_create(*, user: User, card_id: int, target_price: Decimal | float | str,
                 condition: str = PriceAlert.Direction.BELOW,
                 currency: str = "EUR") -> PriceAlert:
    """A new active alert. Raises 422 (target ≤ 0 or too large, unknown direction, unsupported
    currency), 404 (unknown card) or 409 (the same active alert exists — decided by the
    database's partial unique constraint, so concurrent creates cannot both succeed)."""
    try:
        target = Decimal(str(target_price)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise _invalid("target_price", "value is not a valid float", "type_error.float") from exc
    if not target.is_finite() or target <= 0:
        raise _invalid("target_price", "ensure this value is greater than 0",
                       "value_error.number.not_gt")
    if target > MAX_TARGET:
        raise _invalid("target_price", f"ensure this value is less than or equal to {MAX_TARGET}",
                       "value_error.number.not_le")
    if condition not in PriceAlert.Direction.values:
        raise _invalid("condition", "value is not a valid enumeration member; permitted: "
                       "'below', 'above'", "type_error.enum")
    currency = (currency or "").strip().upper()
    if not alert_currency_supported(currency):
        raise _invalid("currency", f"unsupported currency {currency!r}: no exchange rate or "
                       "prices in it", "value_error.currency")
    card_name = Card.objects.filter(pk=card_id).values_list("name", flat=True).first()
    if card_name is None:
        raise NotFound("Card not found")
    try:
        with transaction.atomic():
            alert = PriceAlert.objects.create(user=user, card_id=card_id, target_price=target,
                                              condition=condition, currency=currency)
    except IntegrityError as exc:
        if _is_unique_violation(exc):
            raise Conflict("Alert already exists") from exc
        raise
    alert.card = Card(pk=card_id, name=card_name)
    return alert


def alert_delete(*, user: User, alert_id: int) -> None:
    """Delete one of the user's alerts; another user's (or a missing) alert is a 404. The
    feed keeps a triggered alert's notification."""
    deleted, _per_model = PriceAlert.objects.filter(user=user, pk=alert_id).delete()
    if not deleted:
        raise NotFound("Alert not found")


@transaction.atomic
def alerts_mark_read(*, user: User, alert_ids: Iterable[int] | None = None,
                     notifications: bool = True) -> int:
    """Mark triggered alerts read (all of the user's when `alert_ids` is None) and, unless the
    feed is the caller, their feed items. Returns how many alerts were unread."""
    alerts = PriceAlert.objects.filter(user=user, triggered_at__isnull=False,
                                       read_at__isnull=True)
    ids = None if alert_ids is None else set(alert_ids)
    if ids is not None:
        alerts = alerts.filter(pk__in=sorted(ids))
    marked = alerts.update(read_at=timezone.now())
    if notifications:
        notifications_mark_read_for_alerts(user=user, alert_ids=ids)
    return marked


def alert_mark_read(*, user: User, alert_id: int) -> PriceAlert:
    """Mark one triggered alert read (idempotent). Not the user's, or not triggered: 404."""
    alert = alert_triggered_list(user=user).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound("Notification not found")
    alerts_mark_read(user=user, alert_ids=[alert.pk])
    if alert.read_at is None:
        alert.read_at = timezone.now()
    return alert


def alert_notification_text(*, card_name: str, price: Decimal, target: Decimal,
                            currency: str, language: str) -> tuple[str, str]:
    """The feed item's title and body, written in `language`."""
    with translation.override(language):
        title = gettext("%(card)s hit your target") % {"card": card_name}
        body = gettext("Now %(price)s (target: %(target)s)") % {
            "price": money_display(price, currency), "target": money_display(target, currency)}
    return title, body


def alert_trigger(*, alert: PriceAlert, point: PricePoint, now: datetime | None = None
                  ) -> bool:
    """Claim the alert and record its notification. Returns False when another check claimed
    it first (the conditional UPDATE changed no row): then nothing is recorded."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = PriceAlert.objects.filter(pk=alert.pk, is_active=True).update(
            is_active=False, triggered_at=now, triggered_price=point.price,
            triggered_source=point.source)
        if claimed != 1:
            return False  # another process got there first
        title, body = alert_notification_text(
            card_name=alert.card.name, price=point.price, target=alert.target_price,
            currency=alert.currency, language=user_language(alert.user))
        notification_create(user=alert.user, kind=Notification.Kind.ALERT_TRIGGERED,
                            title=title, body=body,
                            data={"card_id": alert.card_id, "alert_id": alert.pk})
    alert.is_active, alert.triggered_at = False, now
    alert.triggered_price, alert.triggered_source = point.price, point.source
    return True


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def alerts_check(*, card_ids: Iterable[int]) -> int:
    """Trigger the active alerts whose card's new current price is on the target's side.

    Set-based: per chunk of card ids one query for their active alerts and one for those
    cards' prices; with no active alert anywhere, a single cheap query. Returns how many
    alerts this call triggered.
    """
    ids = sorted({int(pk) for pk in card_ids})
    if not ids or not PriceAlert.objects.filter(is_active=True).exists():
        return 0
    convert = Converter()
    triggered = 0
    for chunk in _chunks(ids, CHECK_CHUNK):
        alerts = list(PriceAlert.objects.filter(card_id__in=chunk, is_active=True,
                                                user__is_active=True)
                      .select_related("user", "card")
                      .only("id", "user_id", "card_id", "target_price", "condition", "currency",
                            "is_active", "user__id", "user__username", "card__name")
                      .order_by("pk"))
        if not alerts:
            continue
        prices = card_current_prices(card_ids={alert.card_id for alert in alerts})
        now = timezone.now()
        for alert in alerts:
            point = alert_price_now(alert, prices.get(alert.card_id, ()), convert)
            if alert_is_hit(alert, point) and alert_trigger(alert=alert, point=point, now=now):
                triggered += 1
    return triggered
