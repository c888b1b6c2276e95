"""Pricing API: a card's price book and its history (spec "Prices" and "Price history").

    GET /api/cards/{card_id}/prices                     current prices per source
    GET /api/cards/{card_id}/price-history              snapshots + 7d/30d/90d analysis
    GET /{tcg_slug}/cards/{card_id}/prices              price records (paged)
    GET /{tcg_slug}/cards/{card_id}/prices/history      snapshots by date range
    GET /{tcg_slug}/cards/{card_id}/prices/{price_id}   one price record
    GET /{tcg_slug}/cards/{card_id}/trend               7d / 30d / 90d / 1y trend

Reads come from pricing.selectors; which rows each endpoint shows is in docs/api-notes.md
("Price book reads").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.urls import re_path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors as catalogue
from catalogue.api.serializers import page_of
from catalogue.api.urls import ID, TCG
from csm.api.errors import UnprocessableEntity, error_item
from csm.api.pagination import pagination
from csm.api.validation import validate_page_and_query
from pricing import selectors
from pricing.models import Price, Source

TAGS = ["Prices"]
NOT_FOUND = OpenApiResponse(description='`{"detail": "Card not found"}` (or "TCG not found")')
PRICE_NOT_FOUND = OpenApiResponse(
    description='`{"detail": "Card not found"}` or `{"detail": "Price not found"}` (also when '
                "the price belongs to another card)")
INVALID = OpenApiResponse(description="Query validation errors (`loc`, `msg`, `type`)")
TCG_SLUG = OpenApiParameter("tcg_slug", str, OpenApiParameter.PATH,
                            description="e.g. pokemon, mtg, yugioh")
SOURCES: tuple[str, ...] = tuple(Source.values)
DEFAULT_RANGE_DAYS = 365
PricePage = pagination(50, 200)
_datetime = serializers.DateTimeField()


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _when(value: Any) -> str | None:
    return None if value is None else _datetime.to_representation(value)


# --- Query parameters -------------------------------------------------------------------------


def _source_help() -> str:
    return "One of " + ", ".join(f"`{s}`" for s in SOURCES) + "."


class SourceQuery(serializers.Serializer):
    source = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                   help_text=_source_help())


class SourceVariantQuery(SourceQuery):
    variant = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                    help_text="The source's variant name: normal, holofoil, "
                                              "reverse_holofoil, 1st_edition_holofoil, foil, …")


class PriceHistoryQuery(SourceVariantQuery):
    days = serializers.IntegerField(required=False, default=90,
                                    help_text="7, 30, 90, 180 or 365 (default 90).")


class DateRangeQuery(SourceQuery):
    start_date = serializers.DateField(required=False, input_formats=["%Y-%m-%d"],
                                       help_text="YYYY-MM-DD; default end_date − 365 days.")
    end_date = serializers.DateField(required=False, input_formats=["%Y-%m-%d"],
                                     help_text="YYYY-MM-DD; default today (UTC).")


class TrendQuery(serializers.Serializer):
    period = serializers.CharField(required=False, default="30d", allow_blank=False,
                                   max_length=8, help_text="7d | 30d | 90d | 1y (default 30d).")


def _enum_item(name: str, permitted: Sequence[object]) -> dict[str, Any]:
    names = ", ".join(repr(value) for value in permitted)
    return error_item(["query", name],
                      f"value is not a valid enumeration member; permitted: {names}",
                      "type_error.enum")


def _parse(request: Request, query: type[serializers.Serializer], *,
           page: type | None = None, enums: dict[str, Sequence[object]] | None = None
           ) -> dict[str, Any]:
    """Every parameter checked before answering, so one 422 lists all bad ones."""
    params, errors = validate_page_and_query(request, page=page, query=query)
    failed = {tuple(error["loc"]) for error in errors}
    for name, permitted in (enums or {}).items():
        if ("query", name) in failed:
            continue
        # The validated value, or the raw one when another parameter failed validation.
        value = params.get(name, request.query_params.get(name))
        if isinstance(value, str) and all(isinstance(p, int) for p in permitted):
            value = int(value) if value.strip().lstrip("-").isdigit() else value
        if value not in (None, "") and value not in permitted:
            errors.append(_enum_item(name, permitted))
    if errors:
        raise UnprocessableEntity(errors)
    for name in ("source", "variant"):
        if name in params:
            params[name] = params[name] or None  # an empty filter is no filter
    return params


# --- Output (the schema; views build the same shapes directly) --------------------------------


def money(**kwargs: Any) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, **kwargs)


class CardSourcePriceOut(serializers.Serializer):
    source = serializers.ChoiceField(choices=SOURCES)
    market_price = money()
    low_price = money()
    high_price = money()
    currency = serializers.CharField()
    variant = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    condition = serializers.CharField(help_text="NM, LP, MP, HP or DMG.")
    language = serializers.CharField()
    grade = serializers.CharField(help_text="`raw`, or the grading company and grade "
                                            "(`psa_10`, `bgs_9_5`, …).")
    observations = serializers.IntegerField(
        help_text="Listings or sales behind the figure (0 when the source does not say).")


class CardPricesOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    sources = CardSourcePriceOut(many=True)


class CardPriceSnapshotOut(serializers.Serializer):
    date = serializers.DateField()
    source = serializers.ChoiceField(choices=SOURCES)
    market_price = money()
    variant = serializers.CharField()
    language = serializers.CharField()
    currency = serializers.CharField()


class PriceSeriesRefOut(serializers.Serializer):
    price_id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=SOURCES)
    variant = serializers.CharField()
    language = serializers.CharField()
    currency = serializers.CharField()


class PriceHistoryAnalysisOut(serializers.Serializer):
    change_7d = money(help_text="Percent; latest snapshot vs the latest one ≥ 7 days older.")
    change_30d = money()
    change_90d = money()
    volatility = money(help_text="Std of daily log returns in the window, as a fraction.")
    trend = serializers.ChoiceField(choices=["rising", "falling", "stable"], allow_null=True)
    data_points = serializers.IntegerField(help_text="Snapshots of the series in the window.")
    observations = serializers.IntegerField()
    series = PriceSeriesRefOut(allow_null=True, help_text="The price row analysed (the reference "
                                                  "series unless source/variant narrow it).")
    reason = serializers.CharField(allow_null=True, help_text="Why a figure is null.")


class PriceHistoryOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    days = serializers.IntegerField()
    source = serializers.CharField(allow_null=True)
    variant = serializers.CharField(allow_null=True)
    snapshots = CardPriceSnapshotOut(many=True)
    analysis = PriceHistoryAnalysisOut()


class PriceRecordOut(serializers.Serializer):
    id = serializers.IntegerField()
    card_id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=SOURCES)
    variant = serializers.CharField()
    condition = serializers.CharField()
    language = serializers.CharField()
    grade = serializers.CharField()
    currency = serializers.CharField()
    market_price = money()
    low_price = money()
    mid_price = money()
    high_price = money()
    observations = serializers.IntegerField()
    recorded_at = serializers.DateTimeField()
    is_reference = serializers.BooleanField(help_text="The card's reference series.")
    is_synthetic = serializers.BooleanField(help_text="Generated for scale tests, not real.")


class PriceRangePointOut(serializers.Serializer):
    date = serializers.DateField()
    price_id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=SOURCES)
    variant = serializers.CharField()
    condition = serializers.CharField()
    language = serializers.CharField()
    grade = serializers.CharField()
    currency = serializers.CharField()
    market_price = money()
    low_price = money()
    high_price = money()
    observations = serializers.IntegerField()


class CardPriceRangeOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    source = serializers.CharField(allow_null=True)
    snapshots = PriceRangePointOut(many=True)


class CardPriceTrendOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    period = serializers.ChoiceField(choices=list(selectors.TREND_PERIODS))
    days = serializers.IntegerField()
    series = PriceSeriesRefOut(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    start_price = money()
    end_price = money()
    change_abs = money()
    change_pct = money()
    low = money()
    high = money()
    trend = serializers.ChoiceField(choices=["rising", "falling", "stable"], allow_null=True)
    slope_per_day = money(help_text="Least-squares slope, currency units per day.")
    pct_per_week = money(help_text="The slope × 7 relative to the mean price, in percent; "
                                   "beyond ±1 it is rising / falling.")
    volatility = money()
    data_points = serializers.IntegerField()
    observations = serializers.IntegerField()
    reason = serializers.CharField(allow_null=True)


def _series(series: selectors.SeriesRef | None) -> dict[str, Any] | None:
    if series is None:
        return None
    return {"price_id": series.price_id, "source": series.source, "variant": series.variant,
            "language": series.language, "currency": series.currency}


def _record(price: Price) -> dict[str, Any]:
    return {"id": price.pk, "card_id": price.card_id, "source": price.source,
            "variant": price.variant, "condition": price.condition,
            "language": price.language, "grade": price.grade, "currency": price.currency,
            "market_price": _num(price.market_price), "low_price": _num(price.low_price),
            "mid_price": _num(price.mid_price), "high_price": _num(price.high_price),
            "observations": price.observations, "recorded_at": _when(price.recorded_at),
            "is_reference": price.is_primary, "is_synthetic": price.is_synthetic}


# --- Views ------------------------------------------------------------------------------------


class CardPricesView(APIView):
    @extend_schema(
        tags=TAGS, summary="Cross-source price comparison", operation_id="cards_prices",
        description="One entry per current price row: every source, variant, condition, "
                    "language and grade (`raw` or e.g. `psa_10`), each in its own currency. "
                    "Raw near-mint rows come first (the card's reference series first), then "
                    "other conditions, then graded rows. An unpriced card has an empty list.",
        responses={200: CardPricesOut, 404: NOT_FOUND})
    def get(self, request: Request, card_id: str) -> Response:
        card = catalogue.card_get(card_id=int(card_id))
        rows = selectors.card_price_book(card_id=card.pk)
        return Response({"card_id": card.pk, "sources": [
            {"source": r["source"], "market_price": _num(r["market_price"]),
             "low_price": _num(r["low_price"]), "high_price": _num(r["high_price"]),
             "currency": r["currency"], "variant": r["variant"],
             "recorded_at": _when(r["recorded_at"]), "condition": r["condition"],
             "language": r["language"], "grade": r["grade"],
             "observations": r["observations"]} for r in rows]})


class CardPriceHistoryView(APIView):
    @extend_schema(
        tags=TAGS, summary="Price history + 7d/30d/90d analysis",
        operation_id="cards_price_history",
        description="Daily snapshots of the card's raw near-mint prices (every source, "
                    "variant and language, each in its own currency) from today − `days`, "
                    "oldest first. `analysis` reads one series: the card's reference series "
                    "(raw NM, English first, the longest recent history), or with `source` / "
                    "`variant` the best matching row. change_7d/30d/90d are percent changes "
                    "from the latest snapshot at least that many days before the latest one; "
                    "volatility is the standard deviation of daily log returns in the window "
                    "(a fraction); trend is the least-squares slope relative to the mean, "
                    "beyond ±1 % per week rising / falling. Null figures come with `reason`.",
        parameters=[PriceHistoryQuery], responses={200: PriceHistoryOut, 404: NOT_FOUND,
                                                   422: INVALID})
    def get(self, request: Request, card_id: str) -> Response:
        query = _parse(request, PriceHistoryQuery,
                       enums={"days": selectors.HISTORY_DAYS, "source": SOURCES})
        card = catalogue.card_get(card_id=int(card_id))
        days, source, variant = query["days"], query.get("source"), query.get("variant")
        snapshots = selectors.card_chart_snapshots(
            card_id=card.pk, since=selectors.today() - timedelta(days=days), source=source,
            variant=variant)
        analysis = selectors.card_price_analysis(card_id=card.pk, days=days, source=source,
                                                 variant=variant)
        return Response({
            "card_id": card.pk, "days": days, "source": source, "variant": variant,
            "snapshots": [
                {"date": s["date"].isoformat(), "source": s["price__source"],
                 "market_price": _num(s["market_price"]), "variant": s["price__variant"],
                 "language": s["price__language"], "currency": s["price__currency"]}
                for s in snapshots],
            "analysis": {
                "change_7d": _num(analysis.change_7d), "change_30d": _num(analysis.change_30d),
                "change_90d": _num(analysis.change_90d), "volatility": analysis.volatility,
                "trend": analysis.trend, "data_points": analysis.data_points,
                "observations": analysis.observations, "series": _series(analysis.series),
                "reason": analysis.reason},
        })


class TcgCardPricesView(APIView):
    @extend_schema(
        tags=TAGS, summary="List all price records for a card",
        operation_id="tcg_cards_prices_list",
        description="Every current price row (raw and graded, all conditions and languages) "
                    "in the order of `/api/cards/{id}/prices`, optionally of one source and / "
                    "or variant.",
        parameters=[TCG_SLUG, SourceVariantQuery], responses={
            200: page_of(PriceRecordOut, "PriceRecordPage"), 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request, tcg_slug: str, card_id: str) -> Response:
        query = _parse(request, SourceVariantQuery, page=PricePage, enums={"source": SOURCES})
        card = catalogue.card_get(card_id=int(card_id), tcg_slug=tcg_slug)
        prices = selectors.card_price_list_qs(card_id=card.pk, source=query.get("source"),
                                              variant=query.get("variant"))
        paginator = PricePage()
        page = paginator.paginate_queryset(prices, request)
        return paginator.get_paginated_response([_record(price) for price in page])


class TcgCardPriceRangeView(APIView):
    @extend_schema(
        tags=TAGS, summary="Time-series for a card by date range",
        operation_id="tcg_cards_prices_history",
        description="Every daily snapshot of every price row of the card (raw and graded, all "
                    "conditions and languages; `price_id` names the row) from `start_date` to "
                    "`end_date` inclusive, oldest first. Defaults: `end_date` today (UTC), "
                    "`start_date` 365 days before `end_date`.",
        parameters=[TCG_SLUG, DateRangeQuery],
        responses={200: CardPriceRangeOut, 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request, tcg_slug: str, card_id: str) -> Response:
        query = _parse(request, DateRangeQuery, enums={"source": SOURCES})
        end: date = query.get("end_date") or selectors.today()
        start: date = query.get("start_date") or end - timedelta(days=DEFAULT_RANGE_DAYS)
        if start > end:
            raise UnprocessableEntity([error_item(
                ["query", "start_date"], "start_date must be on or before end_date",
                "value_error.date_range")])
        card = catalogue.card_get(card_id=int(card_id), tcg_slug=tcg_slug)
        source = query.get("source")
        rows = selectors.card_snapshot_range(card_id=card.pk, start=start, end=end,
                                             source=source)
        return Response({
            "card_id": card.pk, "start_date": start.isoformat(), "end_date": end.isoformat(),
            "source": source,
            "snapshots": [
                {"date": r["date"].isoformat(), "price_id": r["price_id"],
                 "source": r["price__source"], "variant": r["price__variant"],
                 "condition": r["price__condition"], "language": r["price__language"],
                 "grade": r["price__grade"], "currency": r["price__currency"],
                 "market_price": _num(r["market_price"]), "low_price": _num(r["low_price"]),
                 "high_price": _num(r["high_price"]), "observations": r["observations"]}
                for r in rows],
        })


class TcgCardPriceDetailView(APIView):
    @extend_schema(tags=TAGS, summary="Single price record",
                   operation_id="tcg_cards_prices_get", parameters=[TCG_SLUG],
                   responses={200: PriceRecordOut, 404: PRICE_NOT_FOUND})
    def get(self, request: Request, tcg_slug: str, card_id: str, price_id: str) -> Response:
        card = catalogue.card_get(card_id=int(card_id), tcg_slug=tcg_slug)
        return Response(_record(selectors.card_price_get(card_id=card.pk,
                                                         price_id=int(price_id))))


class TcgCardTrendView(APIView):
    @extend_schema(
        tags=TAGS, summary="7d / 30d / 90d / 1y trend", operation_id="tcg_cards_trend",
        description="The card's reference series over the period (from today − 7, 30, 90 or "
                    "365 days): first and last snapshot and their change, low and high, the "
                    "least-squares trend (beyond ±1 % of the mean per week rising / falling) "
                    "and volatility. Null figures come with `reason`.",
        parameters=[TCG_SLUG, TrendQuery],
        responses={200: CardPriceTrendOut, 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request, tcg_slug: str, card_id: str) -> Response:
        period = _parse(request, TrendQuery,
                        enums={"period": list(selectors.TREND_PERIODS)})["period"]
        card = catalogue.card_get(card_id=int(card_id), tcg_slug=tcg_slug)
        result = selectors.card_price_trend(card_id=card.pk, period=period)
        return Response({
            "card_id": card.pk, "period": result.period, "days": result.days,
            "series": _series(result.series),
            "currency": result.series.currency if result.series else None,
            "start_date": result.start_date.isoformat() if result.start_date else None,
            "end_date": result.end_date.isoformat() if result.end_date else None,
            "start_price": _num(result.start_price), "end_price": _num(result.end_price),
            "change_abs": _num(result.change_abs), "change_pct": _num(result.change_pct),
            "low": _num(result.low), "high": _num(result.high), "trend": result.trend,
            "slope_per_day": result.slope_per_day, "pct_per_week": result.pct_per_week,
            "volatility": result.volatility, "data_points": result.data_points,
            "observations": result.observations, "reason": result.reason,
        })


CARD = rf"cards/(?P<card_id>{ID})"

urlpatterns = [
    re_path(rf"^api/{CARD}/prices/?$", CardPricesView.as_view(), name="api-card-prices"),
    re_path(rf"^api/{CARD}/price-history/?$", CardPriceHistoryView.as_view(),
            name="api-card-price-history"),
    re_path(rf"^{TCG}/{CARD}/prices/?$", TcgCardPricesView.as_view(),
            name="api-tcg-card-prices"),
    re_path(rf"^{TCG}/{CARD}/prices/history/?$", TcgCardPriceRangeView.as_view(),
            name="api-tcg-card-prices-history"),
    re_path(rf"^{TCG}/{CARD}/prices/(?P<price_id>{ID})/?$", TcgCardPriceDetailView.as_view(),
            name="api-tcg-card-price"),
    re_path(rf"^{TCG}/{CARD}/trend/?$", TcgCardTrendView.as_view(), name="api-tcg-card-trend"),
]
