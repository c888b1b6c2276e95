"""The price-alert digest: one email listing a user's triggered alerts not yet emailed.

Sent daily by Celery beat (`pricing.tasks.alert_digests_send`) to users who opted in, and on
request (`POST /alerts/digest-now`, the alerts page) regardless of the opt-in. The alerts are
locked, emailed and marked `emailed_at` in one transaction: a failed send marks nothing (the
task retries), and two digests running at once cannot both list the same alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from accounts.models import User
from pricing.alerts import money_display, user_language
from pricing.models import PriceAlert, Source


def alert_digest_pending(*, user: User) -> QuerySet[PriceAlert]:
    """The user's triggered alerts that no digest has listed yet, oldest trigger first."""
    return (PriceAlert.objects.filter(user=user, triggered_at__isnull=False,
                                      emailed_at__isnull=True)
            .order_by("triggered_at", "id"))


def alert_digest_recipients() -> list[int]:
    """Ids of active, opted-in users with an email address and something to send."""
    return list(PriceAlert.objects.filter(
        triggered_at__isnull=False, emailed_at__isnull=True, user__alert_digest_opt_in=True,
        user__is_active=True).exclude(user__email="")
        .order_by("user_id").values_list("user_id", flat=True).distinct())


@dataclass(frozen=True)
class DigestLine:
    card_name: str
    set_name: str
    direction: str
    price: str
    target: str
    source: str
    triggered_at: object
    url: str


def _line(alert: PriceAlert) -> DigestLine:
    card = alert.card
    path = reverse("catalogue:card", kwargs={"tcg_slug": card.tcg.slug, "card_id": card.pk})
    source = (Source(alert.triggered_source).label
              if alert.triggered_source in Source.values else alert.triggered_source)
    return DigestLine(
        card_name=card.name, set_name=card.card_set.name,
        direction=PriceAlert.Direction(alert.condition).label,
        price=money_display(alert.triggered_price or Decimal(0), alert.currency),
        target=money_display(alert.target_price, alert.currency), source=source,
        triggered_at=alert.triggered_at, url=f"{settings.SITE_URL}{path}")


def _message(user: User, alerts: list[PriceAlert], language: str) -> EmailMultiAlternatives:
    with translation.override(language):
        lines = [_line(alert) for alert in alerts]
        context = {"user": user, "lines": lines, "count": len(lines),
                   "alerts_url": f"{settings.SITE_URL}{reverse('pricing:alerts')}"}
        subject = ngettext("%(count)d price alert triggered",
                           "%(count)d price alerts triggered", len(lines)) % {
            "count": len(lines)}
        text = render_to_string("pricing/email/alert_digest.txt", context)
        html = render_to_string("pricing/email/alert_digest.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message


def alert_digest_send(*, user: User, force: bool = False, language: str | None = None) -> int:
    """Email the user's pending triggered alerts; returns how many the email listed (0: no
    email sent — nothing pending, no address, or not opted in without `force`)."""
    if not (force or user.alert_digest_opt_in) or not user.email:
        return 0
    with transaction.atomic():
        alerts = list(alert_digest_pending(user=user)
                      .select_for_update(of=("self",))
                      .select_related("card__tcg", "card__card_set")
                      .only("id", "user_id", "card_id", "target_price", "condition",
                            "currency", "triggered_at", "triggered_price", "triggered_source",
                            "emailed_at", "card__name", "card__tcg__slug",
                            "card__card_set__name"))
        if not alerts:
            return 0
        _message(user, alerts, language or user_language(user)).send()
        PriceAlert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(
            emailed_at=timezone.now())
    return len(alerts)
