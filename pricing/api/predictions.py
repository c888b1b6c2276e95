"""Pricing API: predictions, trending predictions and the Stash Score (routes included by
pricing/api/urls.py)."""

from __future__ import annotations

from typing import Any

from django.urls import re_path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors
from csm.api.validation import validate_query
from pricing import predictions, stash

NOT_FOUND = OpenApiResponse(description='`{"detail": "Card not found"}`')
INVALID = OpenApiResponse(description="Query validation errors (`loc`, `msg`, `type`)")
ID = r"\d{1,18}"


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                    coerce_to_string=False, **kwargs)


# --- Input -----------------------------------------------------------------------------------


class PredictQuery(serializers.Serializer):
    days_ahead = serializers.IntegerField(
        required=False, default=predictions.DAYS_AHEAD_DEFAULT,
        min_value=predictions.DAYS_AHEAD_MIN, max_value=predictions.DAYS_AHEAD_MAX,
        help_text="Horizon in days after the latest price, 7–365 (default 30).")


class TrendingQuery(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=1,
                                     max_value=predictions.TRENDING_MAX,
                                     help_text="1–50, default 10.")


# --- Output ----------------------------------------------------------------------------------


class FuturePointOut(serializers.Serializer):
    date = serializers.DateField()
    price = _money()


class PredictionOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    card_name = serializers.CharField()
    current_price = _money(help_text="The latest point of the series (null without history).")
    predicted_price = _money(help_text="Fitted value `days_ahead` days after `as_of`, at "
                                       "least 0.01.")
    predicted_change_pct = serializers.FloatField(allow_null=True)
    confidence = serializers.ChoiceField(["low", "medium", "high"], allow_null=True,
                                         help_text="low < 10 points, medium 10–19, high ≥ 20.")
    data_points = serializers.IntegerField(help_text="Daily prices the line was fitted to.")
    trend = serializers.ChoiceField(["rising", "falling", "stable"], allow_null=True)
    slope_per_day = serializers.FloatField(allow_null=True, help_text="Currency units per day.")
    future_points = FuturePointOut(many=True)
    days_ahead = serializers.IntegerField()
    as_of = serializers.DateField(allow_null=True, help_text="Date of the latest point.")
    source = serializers.CharField(allow_null=True)
    variant = serializers.CharField(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    window_days = serializers.IntegerField(
        help_text="Days of history fitted: twice the horizon, within 30–365.")
    reason = serializers.CharField(allow_null=True,
                                   help_text="Why there is no forecast (null when there is).")
    notes = serializers.ListField(child=serializers.CharField())


class TrendingItemOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    card_name = serializers.CharField()
    set_name = serializers.CharField()
    tcg_slug = serializers.CharField()
    current_price = _money()
    predicted_price = _money()
    predicted_change_pct = serializers.FloatField()
    confidence = serializers.ChoiceField(["low", "medium", "high"])
    data_points = serializers.IntegerField()
    trend = serializers.CharField()
    slope_per_day = serializers.FloatField()
    currency = serializers.CharField()
    source = serializers.CharField()
    as_of = serializers.DateField()


class TrendingOut(serializers.Serializer):
    items = TrendingItemOut(many=True)
    total = serializers.IntegerField(help_text="Rising cards with a positive forecast.")
    limit = serializers.IntegerField()
    days_ahead = serializers.IntegerField()
    window_days = serializers.IntegerField()
    cards_considered = serializers.IntegerField(
        help_text="Cards with at least 3 daily prices in their window.")
    computed_at = serializers.DateTimeField()


class ComponentsOut(serializers.Serializer):
    price_momentum = serializers.IntegerField(allow_null=True)
    rarity = serializers.IntegerField(allow_null=True)
    liquidity = serializers.IntegerField(allow_null=True)
    source_agreement = serializers.IntegerField(allow_null=True)


class _DetailOut(serializers.Serializer):
    reason = serializers.CharField(allow_null=True,
                                   help_text="Why the component is null (null when it is not).")


class MomentumDetailOut(_DetailOut):
    change_30d = serializers.FloatField(allow_null=True)
    change_90d = serializers.FloatField(allow_null=True)
    as_of = serializers.DateField(allow_null=True)
    source = serializers.CharField(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    data_points = serializers.IntegerField()


class RarityDetailOut(_DetailOut):
    rarity = serializers.CharField(allow_null=True)


class LiquidityDetailOut(_DetailOut):
    sources = serializers.ListField(child=serializers.CharField())
    observations = serializers.IntegerField()
    listings = serializers.IntegerField()
    sales = serializers.IntegerField()


class AgreementPriceOut(serializers.Serializer):
    source = serializers.CharField()
    market_price = _money()
    currency = serializers.CharField()
    price_eur = _money()


class AgreementDetailOut(_DetailOut):
    currency = serializers.CharField()
    variant = serializers.CharField(allow_null=True)
    prices = AgreementPriceOut(many=True)
    spread_pct = serializers.FloatField(allow_null=True)


class DetailsOut(serializers.Serializer):
    price_momentum = MomentumDetailOut()
    rarity = RarityDetailOut()
    liquidity = LiquidityDetailOut()
    source_agreement = AgreementDetailOut()


class StashScoreOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    score = serializers.IntegerField(allow_null=True, help_text="0–100.")
    components = ComponentsOut(help_text="Each 0–25; null without data (see `details`).")
    label = serializers.CharField(allow_null=True,
                                  help_text="Strong hold ≥ 75, Hold 55–74, Watch 35–54, "
                                            "Consider selling < 35.")
    components_used = serializers.IntegerField()
    reason = serializers.CharField(allow_null=True)
    details = DetailsOut(help_text="Per component: the figures behind it and `reason` when "
                                   "it is null.")


# --- Views -----------------------------------------------------------------------------------


def _prediction_body(card: Any, result: predictions.Forecast, days_ahead: int) -> dict:
    return {
        "card_id": card.pk, "card_name": card.name,
        "current_price": result.current_price, "predicted_price": result.predicted_price,
        "predicted_change_pct": result.predicted_change_pct, "confidence": result.confidence,
        "data_points": result.data_points, "trend": result.trend,
        "slope_per_day": result.slope_per_day,
        "future_points": [{"date": d, "price": p} for d, p in result.future_points],
        "days_ahead": days_ahead, "as_of": result.as_of, "source": result.source,
        "variant": result.variant, "currency": result.currency,
        "window_days": result.window_days, "reason": result.reason, "notes": result.notes,
    }


class PredictView(APIView):
    @extend_schema(
        tags=["Predictions"], summary="Forecast a card's price 30d ahead",
        operation_id="cards_predict",
        description="Least-squares line (scikit-learn LinearRegression) through the card's "
                    "reference series over `window_days` (twice the horizon, 30–365) ending "
                    "at its latest price; the horizon counts from that price. With fewer "
                    "than 3 daily prices the forecast fields are null and `reason` says why.",
        parameters=[PredictQuery],
        responses={200: PredictionOut, 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request, card_id: str) -> Response:
        days_ahead = validate_query(PredictQuery, request)["days_ahead"]
        card = selectors.card_get(card_id=int(card_id))
        result = predictions.card_forecast(card=card, days_ahead=days_ahead)
        return Response(PredictionOut(_prediction_body(card, result, days_ahead)).data)


class TrendingPredictionsView(APIView):
    @extend_schema(
        tags=["Predictions"], summary="Top rising-trend cards across the market",
        operation_id="market_trending_predictions",
        description="Cards whose 30-day forecast rises, largest predicted change first. "
                    "Cards with fewer than 3 daily prices and non-rising trends are skipped. "
                    "Precomputed for the whole market by a background task.",
        parameters=[TrendingQuery],
        responses={200: TrendingOut, 422: INVALID})
    def get(self, request: Request) -> Response:
        limit = validate_query(TrendingQuery, request)["limit"]
        payload = predictions.trending_predictions()
        return Response(TrendingOut({**payload, "items": payload["items"][:limit],
                                     "limit": limit}).data)


class StashScoreView(APIView):
    @extend_schema(
        tags=["Stash Score"], summary="0-100 composite collectability score",
        operation_id="cards_stash_score",
        description="Four components of 0–25: price momentum (30/90-day change of the "
                    "reference series), rarity (per-game table), liquidity (sources, "
                    "observations, listings, sales) and source agreement (spread of the "
                    "sources' raw NM prices in EUR). A component without data is null; the "
                    "score rescales the others and is null with fewer than two.",
        parameters=[OpenApiParameter("card_id", int, OpenApiParameter.PATH)],
        responses={200: StashScoreOut, 404: NOT_FOUND})
    def get(self, request: Request, card_id: str) -> Response:
        card = selectors.card_get(card_id=int(card_id))
        result = stash.card_stash_score(card=card)
        body = {
            "card_id": result.card_id, "score": result.score,
            "components": {name: c.points for name, c in result.components.items()},
            "label": result.label,
            "components_used": sum(c.points is not None for c in result.components.values()),
            "reason": result.reason,
            "details": {name: {**c.details, "reason": c.reason}
                        for name, c in result.components.items()},
        }
        return Response(StashScoreOut(body).data)


urlpatterns = [
    re_path(rf"^api/cards/(?P<card_id>{ID})/predict/?$", PredictView.as_view(),
            name="api-card-predict"),
    re_path(rf"^api/cards/(?P<card_id>{ID})/stash-score/?$", StashScoreView.as_view(),
            name="api-card-stash-score"),
    re_path(r"^api/market/trending-predictions/?$", TrendingPredictionsView.as_view(),
            name="api-market-trending-predictions"),
]
