"""Price intelligence API (starter+) and the FX rate endpoint (free).

Views parse the query, call pricing.intelligence and serialise; the rules live there.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.urls import re_path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.serializers import money_field, page_of
from catalogue.selectors import card_get
from csm.api.errors import UnprocessableEntity, error_item
from csm.api.pagination import LimitOffsetPagination, pagination
from csm.api.permissions import StarterPlus
from csm.api.validation import validate_page_and_query, validate_query
from pricing import intelligence as pi
from pricing.fx import fx_rate
from pricing.models import Price, Source, SourceListing

TAG = "Price intelligence"
ID = r"\d{1,18}"
NOT_FOUND = OpenApiResponse(description='`{"detail": "Card not found"}`')
INVALID = OpenApiResponse(description="Query validation errors (`loc`, `msg`, `type`)")
UNAUTHENTICATED = OpenApiResponse(description='`{"detail": "Not authenticated"}`')
TIER_TOO_LOW = OpenApiResponse(description="The API key's tier is below Starter")
STARTER_RESPONSES = {401: UNAUTHENTICATED, 403: TIER_TOO_LOW, 404: NOT_FOUND, 422: INVALID}
HISTORY_DAYS = (7, 30, 90, 180, 365)


# --- query parameters -------------------------------------------------------------------------


class FoldedChoiceField(serializers.ChoiceField):
    """An enum that ignores case (and maps aliases, e.g. language `ja` -> `jp`)."""

    def __init__(self, *, upper: bool = False, aliases: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        self.upper = upper
        self.aliases = aliases or {}
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = data.strip().upper() if self.upper else data.strip().lower()
            data = self.aliases.get(data, data)
        return super().to_internal_value(data)


def _foil_field(**kwargs: Any) -> FoldedChoiceField:
    return FoldedChoiceField(choices=pi.FOIL_STATUSES, help_text="nonfoil | foil | etched",
                             **kwargs)


def _condition_field(**kwargs: Any) -> FoldedChoiceField:
    return FoldedChoiceField(choices=pi.CONDITIONS, upper=True,
                             help_text="NM | LP | MP | HP | DMG", **kwargs)


def _source_field() -> FoldedChoiceField:
    return FoldedChoiceField(choices=Source.values, required=False,
                             help_text=" | ".join(Source.values))


class SegmentQuery(serializers.Serializer):
    foil_status = _foil_field(required=False, default=pi.NONFOIL)
    condition = _condition_field(required=False, default="NM")
    language = FoldedChoiceField(
        choices=pi.LANGUAGES, required=False, default="en", aliases=pi.LANGUAGE_ALIASES,
        help_text="en | de | fr | it | es | pt | jp | ko | zh | zh-tw | ru | nl | pl "
                  "(ja, kr, zh-cn accepted as aliases)")
    printing = FoldedChoiceField(choices=pi.PRINTINGS, required=False, default=pi.UNLIMITED,
                                 help_text="unlimited | 1st_edition")


class HistoryQuery(SegmentQuery):
    days = serializers.ChoiceField(choices=HISTORY_DAYS, required=False, default=90,
                                   help_text="7 | 30 | 90 | 180 | 365")


class CardSourcesQuery(serializers.Serializer):
    source = _source_field()
    foil_status = _foil_field(required=False)
    condition = _condition_field(required=False)


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Substring of the card name (case-insensitive).")
    source = _source_field()
    condition = _condition_field(required=False)
    foil_status = _foil_field(required=False)
    min_price = serializers.DecimalField(required=False, max_digits=12, decimal_places=2,
                                         min_value=Decimal(0), help_text="EUR")
    max_price = serializers.DecimalField(required=False, max_digits=12, decimal_places=2,
                                         min_value=Decimal(0), help_text="EUR")
    sort = FoldedChoiceField(choices=pi.SEARCH_SORTS, required=False, default="newest",
                             help_text="newest (default) | price (cheapest in EUR first)")


class FxQuery(serializers.Serializer):
    from_currency = serializers.CharField(required=False, default="USD", allow_blank=True,
                                          help_text="ISO 4217, default USD")
    to_currency = serializers.CharField(required=False, default="EUR", allow_blank=True,
                                        help_text="ISO 4217, default EUR")


SourcesPage = pagination(50, 200)
SearchPage = pagination(50, 200)
PAGE_PARAMS = [OpenApiParameter("limit", int, default=50, description="1–200, default 50"),
               OpenApiParameter("offset", int, default=0)]


def _parse(request: Request, query: type[serializers.Serializer],
           page: type[LimitOffsetPagination] | None = None) -> dict[str, Any]:
    """Paging and filters together, so one 422 lists every bad parameter."""
    params, errors = validate_page_and_query(request, page=page, query=query)
    if errors:
        raise UnprocessableEntity(errors)
    return params


def _segment(params: dict[str, Any]) -> pi.Segment:
    return pi.Segment(foil_status=params["foil_status"], condition=params["condition"],
                      language=params["language"], printing=params["printing"])


# --- output shapes ----------------------------------------------------------------------------


class PiSegmentOut(serializers.Serializer):
    foil_status = serializers.CharField()
    condition = serializers.CharField()
    language = serializers.CharField()
    printing = serializers.CharField()


class PiPriceSummaryOut(serializers.Serializer):
    market_price_eur = money_field()
    low_eur = money_field()
    high_eur = money_field()
    confidence = serializers.FloatField(help_text="0–1; formula in docs/api-notes.md")
    n_observations = serializers.IntegerField()
    n_sources = serializers.IntegerField()
    sources = serializers.ListField(child=serializers.CharField())


class PiSourceBreakdownOut(serializers.Serializer):
    source = serializers.CharField()
    median_eur = money_field()
    n_listings = serializers.IntegerField(
        help_text="Raw listings behind the figure, or the observations the source reported")
    basis = serializers.CharField(help_text="sold | listings | price")
    low_eur = money_field()
    high_eur = money_field()
    weight = serializers.FloatField(help_text="Share of the correlated price (0 = left out)")
    included = serializers.BooleanField()
    deviation_pct = serializers.FloatField(help_text="From the correlated price")
    recorded_at = serializers.DateTimeField()


class PiCardIntelligenceOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    segment = PiSegmentOut()
    price_summary = PiPriceSummaryOut(allow_null=True)
    source_breakdown = PiSourceBreakdownOut(many=True)
    correlation_notes = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField(allow_null=True,
                                   help_text="Why price_summary is null (else null)")
    available_segments = PiSegmentOut(many=True)


class PiHistoryPointOut(serializers.Serializer):
    date = serializers.DateField()
    market_price_eur = money_field()
    low_eur = money_field()
    high_eur = money_field()
    confidence = serializers.FloatField()
    n_observations = serializers.IntegerField()
    n_sources = serializers.IntegerField()
    sources = serializers.ListField(child=serializers.CharField())


class PiHistoryOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    segment = PiSegmentOut()
    days = serializers.IntegerField()
    points = PiHistoryPointOut(many=True)
    correlation_notes = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField(allow_null=True)


class PiCompareSourceOut(serializers.Serializer):
    source = serializers.CharField()
    name = serializers.CharField()
    basis = serializers.CharField(help_text="sold | listings | price")
    price = money_field(help_text="In `currency` (EUR when the inputs mix currencies)")
    currency = serializers.CharField()
    price_eur = money_field()
    observations = serializers.IntegerField()
    recorded_at = serializers.DateTimeField()
    deviation_pct = serializers.FloatField(help_text="From the correlated price, in %")
    weight = serializers.FloatField()
    in_correlated_price = serializers.BooleanField()
    variants = serializers.ListField(child=serializers.CharField())


class PiCompareOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    segment = PiSegmentOut()
    correlated_price_eur = money_field()
    confidence = serializers.FloatField(allow_null=True)
    sources = PiCompareSourceOut(many=True)
    correlation_notes = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField(allow_null=True)


class PiRawEntryOut(serializers.Serializer):
    kind = serializers.CharField(help_text="listing | sold | price (a price-book row)")
    id = serializers.IntegerField()
    source = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    condition = serializers.CharField()
    language = serializers.CharField()
    foil_status = serializers.CharField(allow_null=True)
    printing = serializers.CharField(allow_null=True)
    variant = serializers.CharField(allow_null=True)
    grade = serializers.CharField()
    price = money_field()
    currency = serializers.CharField()
    price_eur = money_field()
    quantity = serializers.IntegerField(allow_null=True)
    observations = serializers.IntegerField(allow_null=True)
    seller = serializers.CharField()
    url = serializers.CharField()
    observed_at = serializers.DateTimeField()


class PiSearchItemOut(PiRawEntryOut):
    card_id = serializers.IntegerField()
    card_name = serializers.CharField()


class PiSourcePlatformOut(serializers.Serializer):
    source = serializers.CharField()
    name = serializers.CharField()
    active = serializers.BooleanField(help_text="A successful scrape in the last 7 days")
    last_success = serializers.DateTimeField(allow_null=True)
    last_run_status = serializers.CharField(allow_null=True)
    last_run_at = serializers.DateTimeField(allow_null=True)
    price_rows = serializers.IntegerField()
    cards_covered = serializers.IntegerField()
    raw_listings = serializers.IntegerField()


class PiSourcePlatformsOut(serializers.Serializer):
    items = PiSourcePlatformOut(many=True)
    active_days = serializers.IntegerField()
    counts_as_of = serializers.DateTimeField()


class PiStatsOut(serializers.Serializer):
    price_rows = serializers.IntegerField()
    raw_listings = serializers.IntegerField()
    cards_with_raw_figures = serializers.IntegerField(
        help_text="Cards with at least one raw price row or listing")
    sources_tracked = serializers.IntegerField()
    sources_active = serializers.IntegerField()
    fx_date = serializers.DateField(allow_null=True)
    fx_currencies = serializers.IntegerField()
    counts_as_of = serializers.DateTimeField()


class FxRateOut(serializers.Serializer):
    from_currency = serializers.CharField()
    to_currency = serializers.CharField()
    rate = serializers.FloatField(help_text="1 from_currency = rate to_currency")
    date = serializers.DateField(allow_null=True,
                                 help_text="ECB reference day (null for the same currency)")
    source = serializers.CharField()


def _summary_body(summary: pi.Summary) -> dict[str, Any]:
    return {"market_price_eur": summary.market_price_eur, "low_eur": summary.low_eur,
            "high_eur": summary.high_eur, "confidence": summary.confidence,
            "n_observations": summary.n_observations, "n_sources": summary.n_sources,
            "sources": list(summary.sources)}


def _correlation(request: Request, card_id: str, query: type[serializers.Serializer]
                 ) -> tuple[int, dict[str, Any], pi.Correlation]:
    params = _parse(request, query)
    card = card_get(card_id=int(card_id))
    segment = _segment(params)
    return card.pk, params, pi.card_correlation(card_id=card.pk, card_variants=card.variants,
                                                segment=segment)


# --- views ------------------------------------------------------------------------------------


class CardIntelligenceView(APIView):
    permission_classes = [StarterPlus]

    @extend_schema(
        tags=[TAG], summary="Correlated price for a card variant",
        operation_id="price_intelligence_card",
        description="One confidence-weighted EUR price for the segment (foil status, "
                    "printing, condition, language) from every source; raw only. With no "
                    "data for the segment `price_summary` is null and `reason` says why.",
        parameters=[SegmentQuery],
        responses={200: PiCardIntelligenceOut, **STARTER_RESPONSES})
    def get(self, request: Request, card_id: str) -> Response:
        pk, _params, result = _correlation(request, card_id, SegmentQuery)
        body = {
            "card_id": pk, "segment": result.segment.as_dict(),
            "price_summary": _summary_body(result.summary) if result.summary else None,
            "source_breakdown": [
                {"source": fig.source, "median_eur": fig.median_eur, "n_listings": fig.n,
                 "basis": fig.basis, "low_eur": fig.low_eur, "high_eur": fig.high_eur,
                 "weight": fig.weight, "included": fig.included,
                 "deviation_pct": fig.deviation_pct, "recorded_at": fig.recorded_at}
                for fig in result.figures],
            "correlation_notes": result.notes, "reason": result.reason,
            "available_segments": [s.as_dict() for s in result.available_segments],
        }
        return Response(PiCardIntelligenceOut(body).data)


class CardHistoryView(APIView):
    permission_classes = [StarterPlus]

    @extend_schema(
        tags=[TAG], summary="Historical correlated record",
        operation_id="price_intelligence_card_history",
        description="The correlated price per day from the daily snapshots of the segment's "
                    "raw price rows (raw listings have no history). A day has a point when a "
                    "source has a snapshot that day; each source counts with its latest "
                    "snapshot of the previous 14 days, converted at that day's ECB rate.",
        parameters=[HistoryQuery], responses={200: PiHistoryOut, **STARTER_RESPONSES})
    def get(self, request: Request, card_id: str) -> Response:
        params = _parse(request, HistoryQuery)
        card = card_get(card_id=int(card_id))
        history = pi.card_correlation_history(card_id=card.pk, card_variants=card.variants,
                                              segment=_segment(params), days=params["days"])
        body = {"card_id": card.pk, "segment": history.segment.as_dict(),
                "days": params["days"],
                "points": [{"date": point.date, **_summary_body(point.summary)}
                           for point in history.points],
                "correlation_notes": history.notes, "reason": history.reason}
        return Response(PiHistoryOut(body).data)


class CompareView(APIView):
    permission_classes = [StarterPlus]

    @extend_schema(
        tags=[TAG], summary="Side-by-side source comparison",
        operation_id="price_intelligence_compare",
        description="Each source's figure for the segment in its own currency and in EUR, "
                    "with its deviation from the correlated price.",
        parameters=[SegmentQuery], responses={200: PiCompareOut, **STARTER_RESPONSES})
    def get(self, request: Request, card_id: str) -> Response:
        pk, _params, result = _correlation(request, card_id, SegmentQuery)
        labels = dict(Source.choices)
        body = {
            "card_id": pk, "segment": result.segment.as_dict(),
            "correlated_price_eur": result.summary.market_price_eur if result.summary else None,
            "confidence": result.summary.confidence if result.summary else None,
            "sources": [
                {"source": fig.source, "name": str(labels.get(fig.source, fig.source)),
                 "basis": fig.basis, "price": fig.price, "currency": fig.currency,
                 "price_eur": fig.median_eur, "observations": fig.n,
                 "recorded_at": fig.recorded_at, "deviation_pct": fig.deviation_pct,
                 "weight": fig.weight, "in_correlated_price": fig.included,
                 "variants": list(fig.variants)}
                for fig in result.figures],
            "correlation_notes": result.notes, "reason": result.reason,
        }
        return Response(PiCompareOut(body).data)


def _listing_entry(listing: SourceListing, price_eur: Decimal | None) -> dict[str, Any]:
    return {"kind": listing.kind, "id": listing.pk, "source": listing.source,
            "external_id": listing.external_id, "title": listing.title,
            "condition": listing.condition, "language": listing.language,
            "foil_status": listing.finish, "printing": listing.printing, "variant": None,
            "grade": listing.grade, "price": listing.price, "currency": listing.currency,
            "price_eur": price_eur, "quantity": listing.quantity, "observations": None,
            "seller": listing.seller, "url": listing.url, "observed_at": listing.observed_at}


def _price_entry(row: Price, to_eur: pi.EurConverter) -> dict[str, Any]:
    placement = pi.VARIANTS.get(row.variant)
    return {"kind": "price", "id": row.pk, "source": row.source, "external_id": None,
            "title": "", "condition": row.condition, "language": row.language,
            "foil_status": placement.foil_status if placement else None,
            "printing": placement.printing if placement else None, "variant": row.variant,
            "grade": row.grade, "price": row.market_price, "currency": row.currency,
            "price_eur": to_eur(row.market_price, row.currency), "quantity": None,
            "observations": row.observations, "seller": "", "url": "",
            "observed_at": row.recorded_at}


class CardSourcesView(APIView):
    permission_classes = [StarterPlus]

    @extend_schema(
        tags=[TAG], summary="Raw source listings",
        operation_id="price_intelligence_card_sources",
        description="The card's raw listings and sales (CardTrader, eBay, …), by source and "
                    "price. A source without raw listings for the card (Cardmarket, "
                    "TCGplayer, … publish aggregates) is represented by its price-book rows "
                    "as entries of kind `price`, after the listings.",
        parameters=[CardSourcesQuery, *PAGE_PARAMS],
        responses={200: page_of(PiRawEntryOut, "PiRawEntryPage"), **STARTER_RESPONSES})
    def get(self, request: Request, card_id: str) -> Response:
        params = _parse(request, CardSourcesQuery, SourcesPage)
        card = card_get(card_id=int(card_id))
        filters = {"source": params.get("source"), "foil_status": params.get("foil_status"),
                   "condition": params.get("condition")}
        listings = pi.card_listings_qs(card_id=card.pk, **filters)
        rows = pi.card_price_rows_qs(
            card_id=card.pk, exclude_sources=pi.card_listing_sources(card_id=card.pk),
            **filters)
        limit, offset = params["limit"], params["offset"]
        n_listings, n_rows = listings.count(), rows.count()
        to_eur = pi.EurConverter()
        items: list[dict[str, Any]] = []
        if offset < n_listings:
            items += [_listing_entry(item, to_eur(item.price, item.currency))
                      for item in listings[offset:offset + limit]]
        remaining = limit - len(items)
        if remaining > 0 and offset + len(items) < n_listings + n_rows:
            start = max(0, offset - n_listings)
            items += [_price_entry(row, to_eur) for row in rows[start:start + remaining]]
        return Response({"items": PiRawEntryOut(items, many=True).data,
                         "total": n_listings + n_rows, "limit": limit, "offset": offset})


class SearchView(APIView):
    permission_classes = [StarterPlus]

    @extend_schema(
        tags=[TAG], summary="Search across raw listings",
        operation_id="price_intelligence_search",
        description="Raw listings of every card, newest first, or cheapest in EUR first "
                    "with `sort=price`. `min_price` / `max_price` are EUR (latest ECB rate); "
                    "a listing in a currency without a rate has `price_eur` null, sorts last "
                    "and fails any price bound.",
        parameters=[SearchQuery, *PAGE_PARAMS],
        responses={200: page_of(PiSearchItemOut, "PiRawListingSearchPage"), 401: UNAUTHENTICATED,
                   403: TIER_TOO_LOW, 422: INVALID})
    def get(self, request: Request) -> Response:
        params = _parse(request, SearchQuery, SearchPage)
        low, high = params.get("min_price"), params.get("max_price")
        if low is not None and high is not None and high < low:
            raise UnprocessableEntity([error_item(
                ["query", "max_price"], f"ensure this value is greater than or equal to {low}",
                "value_error.number.not_ge")])
        listings = pi.listings_search_qs(
            q=params.get("q") or None, source=params.get("source"),
            condition=params.get("condition"), foil_status=params.get("foil_status"),
            min_price_eur=low, max_price_eur=high, sort=params["sort"])
        limit, offset = params["limit"], params["offset"]
        page = list(listings.annotate(card_name=F("card__name"))[offset:offset + limit])
        # A short, non-empty page is the end of the list: no need to count (a scan).
        total = offset + len(page) if 0 < len(page) < limit else listings.count()
        items = [{**_listing_entry(item, None if item.price_eur is None
                                   else pi.cents(Decimal(item.price_eur))),
                  "card_id": item.card_id, "card_name": item.card_name}
                 for item in page]
        return Response({"items": PiSearchItemOut(items, many=True).data, "total": total,
                         "limit": limit, "offset": offset})


class SourcePlatformsView(APIView):
    @extend_schema(
        tags=[TAG], summary="List active source platforms",
        operation_id="price_intelligence_sources",
        description="Every price source we track: active = a successful scrape in the last "
                    "7 days. Row, card and listing counts are recounted by the market cache "
                    "warm-up (`counts_as_of` says when).",
        responses={200: PiSourcePlatformsOut})
    def get(self, request: Request) -> Response:
        items = pi.sources_overview()
        body = {"items": items, "active_days": pi.ACTIVE_DAYS,
                "counts_as_of": pi.coverage()["as_of"]}
        return Response(PiSourcePlatformsOut(body).data)


class StatsView(APIView):
    @extend_schema(
        tags=[TAG], summary="Overall PI stats", operation_id="price_intelligence_stats",
        description="Totals over the price book. Counts are recounted by the market "
                    "cache warm-up (`counts_as_of` says when).",
        responses={200: PiStatsOut})
    def get(self, request: Request) -> Response:
        return Response(PiStatsOut(pi.intelligence_stats()).data)


CURRENCY_PATTERN = re.compile(r"^[A-Za-z]{3}$")


class FxRateView(APIView):
    @extend_schema(
        tags=[TAG], summary="FX rate", operation_id="price_intelligence_fx_rate",
        description="ECB euro reference rates, cross rates through EUR: the latest "
                    "reference day of both currencies.",
        parameters=[FxQuery],
        responses={200: FxRateOut, 404: OpenApiResponse(
            description='`{"detail": "No FX rate for XYZ"}`'), 422: INVALID})
    def get(self, request: Request) -> Response:
        params = validate_query(FxQuery, request)
        errors = [error_item(["query", name], 'string does not match regex "^[A-Z]{3}$"',
                             "value_error.str.regex")
                  for name in ("from_currency", "to_currency")
                  if not CURRENCY_PATTERN.match(params[name])]
        if errors:
            raise UnprocessableEntity(errors)
        source, target = params["from_currency"].upper(), params["to_currency"].upper()
        # A code without an ECB rate is unknown to us, even converted into itself.
        missing = [code for code in dict.fromkeys((source, target))
                   if code != "EUR" and fx_rate(code, "EUR") is None]
        rate = None if missing else fx_rate(source, target)
        if rate is None:
            raise NotFound(_("No FX rate for %(currencies)s")
                           % {"currencies": ", ".join(missing)})
        return Response(FxRateOut({"from_currency": source, "to_currency": target,
                                   "rate": float(rate.rate), "date": rate.date,
                                   "source": "ECB"}).data)


_PI = r"^api/price-intelligence"
urlpatterns = [
    re_path(rf"{_PI}/card/(?P<card_id>{ID})/?$", CardIntelligenceView.as_view(),
            name="api-pi-card"),
    re_path(rf"{_PI}/card/(?P<card_id>{ID})/sources/?$", CardSourcesView.as_view(),
            name="api-pi-card-sources"),
    re_path(rf"{_PI}/card/(?P<card_id>{ID})/history/?$", CardHistoryView.as_view(),
            name="api-pi-card-history"),
    re_path(rf"{_PI}/compare/(?P<card_id>{ID})/?$", CompareView.as_view(),
            name="api-pi-compare"),
    re_path(rf"{_PI}/sources/?$", SourcePlatformsView.as_view(), name="api-pi-sources"),
    re_path(rf"{_PI}/stats/?$", StatsView.as_view(), name="api-pi-stats"),
    re_path(rf"{_PI}/search/?$", SearchView.as_view(), name="api-pi-search"),
    re_path(rf"{_PI}/fx/rate/?$", FxRateView.as_view(), name="api-pi-fx-rate"),
]
