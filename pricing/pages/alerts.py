"""Pricing pages: my price alerts (`pricing:alerts`) — list, create, delete, digest opt-in and
"send the digest now". Writes go through the same services as the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.exceptions import NotFound

from accounts.models import User
from accounts.services import user_alert_digest_set
from catalogue import selectors as catalogue
from catalogue.models import Card
from csm.api.errors import Conflict, UnprocessableEntity
from pricing.alerts import (
    ALERT_CURRENCIES,
    CENT,
    MAX_TARGET,
    Converter,
    PricePoint,
    alert_create,
    alert_delete,
    alert_list,
    alert_price_now,
    card_current_prices,
    money_display,
)
from pricing.digest import alert_digest_send
from pricing.models import PriceAlert, Source

ALERTS_PER_PAGE = 50
SEARCH_RESULTS = 10


class AlertCreateForm(forms.Form):
    card_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    target_price = forms.DecimalField(
        label=_("Target price"), min_value=CENT, max_value=MAX_TARGET,
        max_digits=12, decimal_places=2, localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    condition = forms.ChoiceField(label=_("Tell me when the price is"),
                                  choices=PriceAlert.Direction.choices,
                                  initial=PriceAlert.Direction.BELOW)
    currency = forms.ChoiceField(label=_("Currency"),
                                 choices=[(code, code) for code in ALERT_CURRENCIES],
                                 initial="EUR")


class AlertDeleteForm(forms.Form):
    alert_id = forms.IntegerField(min_value=1, max_value=2**63 - 1)


@dataclass(frozen=True)
class AlertRow:
    alert: PriceAlert
    target: str
    now: str | None
    now_source: str
    triggered_price: str | None


def _source_label(source: str) -> str:
    return Source(source).label if source in Source.values else source


def _rows(alerts: list[PriceAlert]) -> list[AlertRow]:
    """Each alert with the price it compares against now (one price query for the page)."""
    prices = card_current_prices(card_ids={alert.card_id for alert in alerts})
    convert = Converter()
    rows = []
    for alert in alerts:
        point: PricePoint | None = alert_price_now(alert, prices.get(alert.card_id, ()), convert)
        rows.append(AlertRow(
            alert=alert, target=money_display(alert.target_price, alert.currency),
            now=money_display(point.price, alert.currency) if point else None,
            now_source=_source_label(point.source) if point else "",
            triggered_price=(money_display(alert.triggered_price, alert.currency)
                             if alert.triggered_price is not None else None)))
    return rows


def _chosen_card(value: str | None) -> Card | None:
    if not value or not value.isdigit() or len(value) > 18:
        return None
    return (Card.objects.select_related("card_set", "tcg")
            .only("id", "name", "number", "card_set__name", "tcg__slug", "tcg__name")
            .filter(pk=int(value)).first())


def _create(request: HttpRequest, user: User) -> AlertCreateForm | None:
    """Create from the form; returns the bound form when it has to be shown again."""
    form = AlertCreateForm(request.POST)
    if not form.is_valid():
        return form
    data = form.cleaned_data
    try:
        alert = alert_create(user=user, card_id=data["card_id"],
                             target_price=data["target_price"], condition=data["condition"],
                             currency=data["currency"])
    except NotFound:
        messages.error(request, gettext("That card does not exist."))
        return None
    except Conflict:
        messages.error(request, gettext("You already have this alert."))
        return form
    except UnprocessableEntity:
        form.add_error("currency", gettext("Prices cannot be converted into %(currency)s yet; "
                                           "choose another currency.")
                       % {"currency": data["currency"]})
        return form
    messages.success(request, gettext("Alert set: %(card)s %(direction)s %(target)s.") % {
        "card": alert.card.name, "direction": PriceAlert.Direction(alert.condition).label,
        "target": money_display(alert.target_price, alert.currency)})
    return None


def _post(request: HttpRequest, user: User) -> HttpResponse | AlertCreateForm:
    action = request.POST.get("action")
    if action == "create":
        form = _create(request, user)
        if form is not None:
            return form
    elif action == "delete":
        delete = AlertDeleteForm(request.POST)
        try:
            if not delete.is_valid():
                raise NotFound
            alert_delete(user=user, alert_id=delete.cleaned_data["alert_id"])
        except NotFound:
            messages.error(request, gettext("That alert does not exist."))
        else:
            messages.success(request, gettext("The alert has been deleted."))
    elif action == "digest":
        enabled = request.POST.get("alert_digest_opt_in") == "on"
        user_alert_digest_set(user=user, enabled=enabled)
        messages.success(request, gettext("You will get a daily email when alerts trigger.")
                         if enabled else gettext("You will get no daily alert email."))
    elif action == "digest-now":
        if not user.email:
            messages.error(request, gettext("Your account has no email address."))
        else:
            count = alert_digest_send(user=user, force=True, language=translation.get_language())
            if count:
                messages.success(request, ngettext(
                    "We emailed you %(count)d triggered alert.",
                    "We emailed you %(count)d triggered alerts.", count) % {"count": count})
            else:
                messages.info(request, gettext("There are no triggered alerts to email."))
    else:
        messages.error(request, gettext("Unknown action."))
    return redirect(request.get_full_path())


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def alerts(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    form = None
    if request.method == "POST":
        result = _post(request, user)
        if isinstance(result, HttpResponse):
            return result
        form = result  # invalid: show it again with its errors
    card = _chosen_card(request.POST.get("card_id") if form else request.GET.get("card"))
    if form is None and card is not None:
        form = AlertCreateForm(initial={"card_id": card.pk})
    query = (request.GET.get("q") or "").strip()[:200]
    results: list[Card] = []
    if query:
        results, _total = catalogue.card_search(q=query, limit=SEARCH_RESULTS, offset=0)
    page = Paginator(alert_list(user=user), ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "form": form, "card": card, "query": query, "results": results,
        "page_obj": page, "rows": _rows(list(page.object_list)),
        "digest_opt_in": user.alert_digest_opt_in,
    }
    return render(request, "pricing/alerts.html", context)


# `alerts` too (as the API writes the path), so a browser asking for `/alerts` is sent here.
urlpatterns = [path("alerts/", alerts, name="alerts"), path("alerts", alerts)]
