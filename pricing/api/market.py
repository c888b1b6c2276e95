"""Pricing API: market intelligence (routes included by pricing/api/urls.py).

Views parse the query and return the cached payload from pricing.market as it is: a warm
request reads one cache entry's version and runs no SQL; the list endpoints also reuse the
JSON they rendered for that version. The output serializers below document the shapes in the
OpenAPI schema; they are not run per request.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.http import Http404, HttpResponse
from django.urls import re_path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from csm.api.errors import UnprocessableEntity
from csm.api.validation import validate_query
from pricing import market

NOT_FOUND = OpenApiResponse(description='`{"detail": "TCG not found"}`')
INVALID = OpenApiResponse(description="Query validation errors (`loc`, `msg`, `type`)")
_SLUG = re.compile(r"^[-a-z0-9_]{1,32}$")


# --- Query parameters -------------------------------------------------------------------------

def _limit(default: int, maximum: int) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, default=default, min_value=1,
                                    max_value=maximum,
                                    help_text=f"1–{maximum}, default {default}.")


def _tcg_slug() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", max_length=32,
                                 help_text="Restrict to one TCG, e.g. `pokemon`; an unknown "
                                           "slug is a 404.")


class MoversQuery(serializers.Serializer):
    tcg = serializers.CharField(required=False, allow_blank=True, default=market.ALL,
                                max_length=32, help_text="A TCG slug or `all` (default).")
    period = serializers.ChoiceField(choices=list(market.PERIODS), required=False,
                                     default=market.DEFAULT_PERIOD)
    limit = _limit(20, market.MAX_MOVERS)


class LegacyMoversQuery(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["up", "down"], required=False, default="up")
    limit = _limit(12, market.MAX_MOVERS)
    tcg_slug = _tcg_slug()


class BestDealsQuery(serializers.Serializer):
    limit = _limit(20, market.MAX_DEALS)
    tcg_slug = _tcg_slug()
    min_spread_pct = serializers.FloatField(
        required=False, default=market.DEFAULT_MIN_SPREAD, min_value=0, max_value=1_000_000,
        help_text="Minimum % gap between the cheapest and the most expensive source "
                  "(default 20.0).")

    def validate_min_spread_pct(self, value: float) -> float:
        if not math.isfinite(value):
            raise serializers.ValidationError("not a finite number", code="invalid")
        return value


class TrendingQuery(serializers.Serializer):
    limit = _limit(12, market.MAX_TRENDING)
    tcg_slug = _tcg_slug()


def _fast_parse(serializer_class: type[serializers.Serializer],
                request: Request) -> dict[str, Any] | None:
    """The parameters when every one is plainly valid (digits in range, a listed choice, a
    short string), read off the declared fields without building a serializer; None sends
    the request through the serializer, which also words the errors. Warm market requests
    are a cache read, so the serializer would be a good part of their time."""
    params = request.query_params
    values: dict[str, Any] = {}
    for name, field in serializer_class._declared_fields.items():
        raw = params.get(name)
        if raw is None:
            values[name] = field.default
        elif isinstance(field, serializers.ChoiceField):
            if raw not in field.choices:
                return None
            values[name] = raw
        elif isinstance(field, serializers.IntegerField):
            if not (raw.isascii() and raw.isdigit()) or not (
                    field.min_value <= int(raw) <= field.max_value):
                return None
            values[name] = int(raw)
        elif isinstance(field, serializers.CharField):
            raw = raw.strip()
            if len(raw) > field.max_length or (not raw and not field.allow_blank):
                return None
            values[name] = raw
        else:
            return None
    return values


def _parse(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """validate_query, with the permitted values in enum errors (pydantic's wording)."""
    fast = _fast_parse(serializer_class, request)
    if fast is not None:
        return fast
    try:
        return validate_query(serializer_class, request)
    except UnprocessableEntity as exc:
        fields = serializer_class().fields
        for item in exc.errors:
            field = fields.get(item["loc"][-1])
            if item["type"] == "type_error.enum" and isinstance(field, serializers.ChoiceField):
                permitted = ", ".join(f"'{choice}'" for choice in field.choices)
                item["msg"] = f"value is not a valid enumeration member; permitted: {permitted}"
        raise


def _tcg(value: str | None, *, all_allowed: bool = False) -> str:
    """"all" for no filter; a slug that cannot be a TCG's is a 404 straight away (the cache
    only ever holds real TCGs' entries; pricing.market checks the others on a miss)."""
    if not value or (all_allowed and value == market.ALL):
        return market.ALL
    if not _SLUG.match(value):
        raise Http404("TCG not found")
    return value


# --- Output shapes (schema only) --------------------------------------------------------------

class MarketMoverItemOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    name = serializers.CharField()
    set_name = serializers.CharField()
    tcg_slug = serializers.CharField()
    current_price = serializers.FloatField(help_text="Latest price of the reference series.")
    change_pct = serializers.FloatField()
    change_abs = serializers.FloatField()
    previous_price = serializers.FloatField(help_text="Price at the start of the period.")
    currency = serializers.CharField()
    source = serializers.CharField(help_text="Source of the card's reference series.")
    volatility = serializers.FloatField(
        allow_null=True, help_text="Std of daily log returns in the period (a fraction); null "
                                   f"with fewer than {market.MIN_VOLATILITY_POINTS} points.")
    as_of = serializers.DateField(help_text="Date of the latest price.")
    since = serializers.DateField(help_text="Date of the price compared against.")
    data_points = serializers.IntegerField(help_text="Daily prices from `since` to `as_of`.")
    observations = serializers.IntegerField(
        help_text="Listings/sales behind those prices, as the source reported them.")


class _MarketCachedOut(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    stale = serializers.BooleanField(help_text="Newer prices arrived after these figures were "
                                               "computed; fresh ones are on their way.")
    reason = serializers.CharField(allow_null=True,
                                   help_text="Why a list is empty or a figure is null.")


class MarketMoversOut(_MarketCachedOut):
    gainers = MarketMoverItemOut(many=True)
    losers = MarketMoverItemOut(many=True)
    most_volatile = MarketMoverItemOut(many=True)
    period = serializers.CharField()
    tcg = serializers.CharField()
    cards_with_data = serializers.IntegerField()
    cards_with_volatility = serializers.IntegerField()
    cards_up = serializers.IntegerField()
    cards_down = serializers.IntegerField()
    cards_flat = serializers.IntegerField()
    average_change_pct = serializers.FloatField(allow_null=True)
    observations = serializers.IntegerField()
    as_of = serializers.DateField(allow_null=True)


class MarketDealItemOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    name = serializers.CharField()
    set_name = serializers.CharField()
    tcg_slug = serializers.CharField()
    variant = serializers.CharField()
    language = serializers.CharField()
    cheapest_source = serializers.CharField()
    cheapest_price = serializers.FloatField(help_text="USD")
    cheapest_price_original = serializers.FloatField()
    cheapest_currency = serializers.CharField()
    most_expensive_source = serializers.CharField()
    most_expensive_price = serializers.FloatField(help_text="USD")
    most_expensive_price_original = serializers.FloatField()
    most_expensive_currency = serializers.CharField()
    spread_pct = serializers.FloatField()
    spread_abs = serializers.FloatField(help_text="USD")
    currency = serializers.CharField()
    sources = serializers.IntegerField(help_text="Sources with a raw NM price compared.")
    observations = serializers.IntegerField()


class MarketDealsOut(_MarketCachedOut):
    items = MarketDealItemOut(many=True)
    total = serializers.IntegerField(help_text="Cards at or above min_spread_pct.")
    cards_compared = serializers.IntegerField(
        help_text="Cards with raw NM prices from two or more sources.")
    tcg = serializers.CharField()
    min_spread_pct = serializers.FloatField()
    currency = serializers.CharField()
    fx_rates = serializers.DictField(help_text="Currency -> {usd_rate, date} used.")
    currencies_without_rate = serializers.ListField(child=serializers.CharField())


class MarketStatsOut(serializers.Serializer):
    total_cards = serializers.IntegerField()
    total_prices = serializers.IntegerField()
    total_users = serializers.IntegerField()
    total_sellers = serializers.IntegerField()
    tcgs_covered = serializers.IntegerField(help_text="TCGs with at least one price.")
    last_update = serializers.DateTimeField(allow_null=True)


class MarketOverviewOut(_MarketCachedOut):
    period = serializers.CharField()
    average_change_pct = serializers.FloatField(allow_null=True)
    cards_with_data = serializers.IntegerField()
    cards_up = serializers.IntegerField()
    cards_down = serializers.IntegerField()
    cards_flat = serializers.IntegerField()
    biggest_gainer = MarketMoverItemOut(allow_null=True)
    biggest_loser = MarketMoverItemOut(allow_null=True)
    as_of = serializers.DateField(allow_null=True)


class MarketRadarStatsOut(serializers.Serializer):
    tracked_cards = serializers.IntegerField()
    priced_cards = serializers.IntegerField()
    priced_sealed_products = serializers.IntegerField()
    total_prices = serializers.IntegerField()
    prices_updated_24h = serializers.IntegerField()
    active_sources = serializers.IntegerField()
    sources = serializers.ListField(child=serializers.CharField())
    active_source_days = serializers.IntegerField()
    average_change_7d_pct = serializers.FloatField(allow_null=True)
    cards_with_7d_data = serializers.IntegerField()
    gainers_7d = serializers.IntegerField()
    losers_7d = serializers.IntegerField()
    unchanged_7d = serializers.IntegerField()
    best_deals = serializers.IntegerField()
    best_deals_min_spread_pct = serializers.FloatField()
    cards_compared = serializers.IntegerField()
    tcgs_covered = serializers.IntegerField()
    last_update = serializers.DateTimeField(allow_null=True)
    generated_at = serializers.DateTimeField()
    stale = serializers.BooleanField()


class MarketActiveSellerOut(serializers.Serializer):
    seller_id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    country = serializers.CharField(allow_null=True)
    last_active = serializers.DateField()


class MarketActiveSellersOut(serializers.Serializer):
    items = MarketActiveSellerOut(many=True)
    total = serializers.IntegerField()
    days = serializers.IntegerField()
    limit = serializers.IntegerField()
    activity = serializers.CharField(help_text="What counts as activity: listings_and_sales.")
    reason = serializers.CharField(allow_null=True,
                                   help_text="Why the list is empty, when it is.")


class MarketTrendingItemOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    name = serializers.CharField()
    set_name = serializers.CharField()
    tcg_slug = serializers.CharField()
    activity_recent = serializers.FloatField(
        help_text="Average listings/sales per day over the card's series, last 7 days.")
    activity_previous = serializers.FloatField(help_text="The same, the 7 days before.")
    activity_growth_pct = serializers.FloatField()
    sources = serializers.IntegerField()
    series = serializers.IntegerField()
    best_price = serializers.FloatField(allow_null=True)
    best_price_currency = serializers.CharField()
    price_change_7d = serializers.FloatField(allow_null=True)


class MarketTrendingOut(_MarketCachedOut):
    items = MarketTrendingItemOut(many=True)
    total = serializers.IntegerField()
    cards_measured = serializers.IntegerField()
    tcg = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    windows = serializers.DictField(allow_null=True)
    min_previous_observations = serializers.IntegerField()


# --- Views ------------------------------------------------------------------------------------

# Rendered bodies of the list endpoints, by what they were rendered from (the endpoint, its
# parameters, the entry's generated_at and stale flag): encoding up to 150 movers is most of a
# warm request's own work, and the same few variants are asked for over and over.
_BODIES: dict[tuple, bytes] = {}
_BODIES_MAX = 512


def _json(token: tuple, payload: dict[str, Any], data: object = None) -> HttpResponse:
    """`data` (default: `payload`) as JSON, rendered once per version of `payload`."""
    key = (*token, payload["generated_at"], payload["stale"])
    body = _BODIES.get(key)
    if body is None:
        body = JSONRenderer().render(payload if data is None else data)
        if len(_BODIES) >= _BODIES_MAX:
            _BODIES.clear()
        _BODIES[key] = body
    return HttpResponse(body, content_type="application/json")


TAGS = ["Market intelligence"]


class MoversView(APIView):
    @extend_schema(
        tags=TAGS, summary="Top gainers, losers, most volatile", operation_id="market_movers",
        description="Each card's reference series (raw, Near Mint): the latest price against "
                    "the latest one on or before (latest − period), at most 2× the period "
                    "back; series whose latest price is more than the period older than the "
                    "newest price in the book are left out. Most volatile = highest standard "
                    "deviation of daily log returns in the period (at least "
                    f"{market.MIN_VOLATILITY_POINTS} prices). Warmed in the cache after "
                    "every price update.",
        parameters=[MoversQuery], responses={200: MarketMoversOut, 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request) -> HttpResponse:
        query = _parse(MoversQuery, request)
        tcg = _tcg(query["tcg"], all_allowed=True)
        payload = market.market_movers(tcg=tcg, period=query["period"], limit=query["limit"])
        return _json(("movers", tcg, query["period"], query["limit"]), payload)


class LegacyMoversView(APIView):
    @extend_schema(
        tags=TAGS, summary="Legacy mover endpoint", operation_id="market_movers_legacy",
        description="A flat list of 30-day gainers (`up`) or losers (`down`), in the movers' "
                    "item shape. Prefer /api/market/movers.",
        parameters=[LegacyMoversQuery],
        responses={200: MarketMoverItemOut(many=True), 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request) -> HttpResponse:
        query = _parse(LegacyMoversQuery, request)
        tcg, direction = _tcg(query["tcg_slug"]), query["direction"]
        payload = market.market_movers(tcg=tcg, period=market.LEGACY_PERIOD,
                                       limit=query["limit"])
        return _json(("legacy", tcg, direction, query["limit"]), payload,
                     payload["gainers" if direction == "up" else "losers"])


class BestDealsView(APIView):
    @extend_schema(
        tags=TAGS, summary="Cards where source prices diverge most",
        operation_id="market_best_deals",
        description="Raw Near Mint market prices of the same card, variant and language "
                    "from two or more sources, converted to USD at the latest ECB rates; each "
                    "source counts at its cheapest row, each card once (its widest variant). "
                    "Prices in a currency without an FX rate are left out.",
        parameters=[BestDealsQuery], responses={200: MarketDealsOut, 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request) -> HttpResponse:
        query = _parse(BestDealsQuery, request)
        tcg = _tcg(query["tcg_slug"])
        payload = market.market_best_deals(tcg=tcg, min_spread=query["min_spread_pct"],
                                           limit=query["limit"])
        return _json(("deals", tcg, payload["min_spread_pct"], query["limit"]), payload)


class StatsView(APIView):
    @extend_schema(tags=TAGS, summary="Market-wide totals", operation_id="market_stats",
                   description="`tcgs_covered` counts TCGs with at least one price; "
                               "`last_update` is the newest price's time.",
                   responses={200: MarketStatsOut})
    def get(self, request: Request) -> Response:
        return Response(market.market_stats())


class OverviewView(APIView):
    @extend_schema(tags=TAGS, summary="Market overview: avg change + biggest mover",
                   operation_id="market_overview",
                   description="Over the cards with a 7-day move (see movers): the average "
                               "change, how many went up, down or stayed flat, and the "
                               "biggest gainer and loser.",
                   responses={200: MarketOverviewOut})
    def get(self, request: Request) -> Response:
        return Response(market.market_overview())


class RadarStatsView(APIView):
    @extend_schema(tags=TAGS, summary="Stats strip for the Market Radar dashboard",
                   operation_id="market_radar_stats",
                   description="Active sources = sources with a price recorded in the last "
                               f"{market.ACTIVE_SOURCE_DAYS} days.",
                   responses={200: MarketRadarStatsOut})
    def get(self, request: Request) -> Response:
        return Response(market.market_radar_stats())


class ActiveSellersView(APIView):
    @extend_schema(tags=TAGS, summary="Recently-active sellers",
                   operation_id="market_active_sellers",
                   description="Sellers with listings or sales in the last 30 days (at most "
                               "20). The marketplace has no listings yet, so the list is "
                               "empty, with a reason.",
                   responses={200: MarketActiveSellersOut})
    def get(self, request: Request) -> Response:
        return Response(market.market_active_sellers())


class TrendingView(APIView):
    @extend_schema(
        tags=TAGS, summary="Trending cards from external sources", operation_id="trending",
        description="Cards whose source activity grows: per price series the average "
                    "listings/sales behind its daily prices in the last 7 days of data "
                    "against the 7 days before (series with prices in both weeks); a card "
                    "sums its series, needs at least "
                    f"{market.MIN_TRENDING_OBSERVATIONS} in the earlier week, and is ranked "
                    "by growth.",
        parameters=[TrendingQuery],
        responses={200: MarketTrendingOut, 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request) -> HttpResponse:
        query = _parse(TrendingQuery, request)
        tcg = _tcg(query["tcg_slug"])
        payload = market.market_trending(tcg=tcg, limit=query["limit"])
        return _json(("trending", tcg, query["limit"]), payload)


urlpatterns = [
    re_path(r"^api/market/movers/?$", MoversView.as_view(), name="api-market-movers"),
    re_path(r"^api/market-movers/?$", LegacyMoversView.as_view(),
            name="api-market-movers-legacy"),
    re_path(r"^api/market/best-deals/?$", BestDealsView.as_view(), name="api-market-best-deals"),
    re_path(r"^api/market/stats/?$", StatsView.as_view(), name="api-market-stats"),
    re_path(r"^api/market/overview/?$", OverviewView.as_view(), name="api-market-overview"),
    re_path(r"^api/market/radar-stats/?$", RadarStatsView.as_view(),
            name="api-market-radar-stats"),
    re_path(r"^api/market/active-sellers/?$", ActiveSellersView.as_view(),
            name="api-market-active-sellers"),
    re_path(r"^api/trending/?$", TrendingView.as_view(), name="api-trending"),
]
