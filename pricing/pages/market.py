"""Pricing pages: the Market Radar dashboard (`pricing:market-radar`) — the stats strip,
movers (gainers, losers, most volatile) for a game and period, and the best deals. Rendered
on the server from the same cached figures as /api/market/* (a plain GET form picks the game
and period, so it works without JavaScript)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from catalogue import selectors as catalogue
from pricing import market
from pricing.alerts import money_display
from pricing.models import Source

LIST_LIMIT = 10
DEALS_LIMIT = 10
PERIOD_LABELS = {"7d": _("7 days"), "30d": _("30 days"), "90d": _("90 days")}
SOURCE_LABELS = dict(Source.choices)


class RadarForm(forms.Form):
    tcg = forms.ChoiceField(label=_("Game"), required=False)
    period = forms.ChoiceField(label=_("Period"), required=False,
                               choices=list(PERIOD_LABELS.items()))

    def __init__(self, *args: Any, tcgs: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tcg"].choices = [(market.ALL, _("All games")),
                                      *((t.slug, t.name) for t in tcgs)]


def _mover_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**item, "price_display": money_display(Decimal(str(item["current_price"])),
                                                    item["currency"]),
             "source_label": SOURCE_LABELS.get(item["source"], item["source"])}
            for item in items]


def _deal_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**item,
             "cheap_display": money_display(Decimal(str(item["cheapest_price"])), "USD"),
             "dear_display": money_display(Decimal(str(item["most_expensive_price"])), "USD"),
             "cheap_label": SOURCE_LABELS.get(item["cheapest_source"], item["cheapest_source"]),
             "dear_label": SOURCE_LABELS.get(item["most_expensive_source"],
                                             item["most_expensive_source"])}
            for item in items]


def market_radar(request: HttpRequest) -> HttpResponse:
    tcgs = list(catalogue.tcg_list())
    form = RadarForm(request.GET or None, tcgs=tcgs)
    tcg, period = market.ALL, market.DEFAULT_PERIOD
    if form.is_bound and form.is_valid():
        tcg = form.cleaned_data["tcg"] or market.ALL
        period = form.cleaned_data["period"] or market.DEFAULT_PERIOD
    else:  # no choice yet, or a tampered URL: the defaults
        form = RadarForm(initial={"tcg": tcg, "period": period}, tcgs=tcgs)
    movers = market.market_movers(tcg=tcg, period=period, limit=LIST_LIMIT)
    deals = market.market_best_deals(tcg=tcg, limit=DEALS_LIMIT)
    radar = market.market_radar_stats()
    return render(request, "pricing/market_radar.html", {
        "form": form,
        "tcg": next((t for t in tcgs if t.slug == tcg), None),
        "period_label": PERIOD_LABELS[period],
        "radar": radar,
        "movers": movers,
        "gainers": _mover_rows(movers["gainers"]),
        "losers": _mover_rows(movers["losers"]),
        "volatile": _mover_rows(movers["most_volatile"]),
        "deals": deals,
        "deal_rows": _deal_rows(deals["items"]),
        "generated_at": parse_datetime(movers["generated_at"]),
    })


urlpatterns = [
    path("market/", market_radar, name="market-radar"),
]
