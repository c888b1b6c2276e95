"""Catalogue API: TCGs, sets, cards, card extras, sealed products and search.

Reads come from catalogue.selectors; views parse the query, call a selector and serialise.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors
from catalogue.api import serializers as out
from csm.api.errors import UnprocessableEntity, error_item
from csm.api.pagination import LimitOffsetPagination, pagination
from csm.api.validation import validate_page_and_query, validate_query

NOT_FOUND = OpenApiResponse(description='`{"detail": "... not found"}`')
INVALID = OpenApiResponse(description="Query validation errors (`loc`, `msg`, `type`)")
TCG_SLUG = OpenApiParameter("tcg_slug", str, OpenApiParameter.PATH,
                            description="e.g. pokemon, mtg, yugioh")
MAX_COMPARE = 3


def _limit_params(default: int, maximum: int, *, offset: bool = True) -> list[OpenApiParameter]:
    params = [OpenApiParameter("limit", int, default=default,
                               description=f"1–{maximum}, default {default}")]
    if offset:
        params.append(OpenApiParameter("offset", int, default=0))
    return params


def _parse(request: Request, page: type[LimitOffsetPagination],
           query: type[serializers.Serializer] | None = None) -> dict[str, Any]:
    """Paging and filter parameters together, so one 422 lists every bad parameter."""
    params, errors = validate_page_and_query(request, page=page, query=query)
    if errors:
        raise UnprocessableEntity(errors)
    return params


def _paginate(request: Request, items: QuerySet, paginator_class: type[LimitOffsetPagination],
              serializer: type[serializers.BaseSerializer]) -> Response:
    paginator = paginator_class()
    page = paginator.paginate_queryset(items, request)
    return paginator.get_paginated_response(serializer(page, many=True).data)


def _tcg_or_404(slug: str | None) -> None:
    if slug is not None:
        selectors.tcg_get(slug=slug)


# --- TCGs -------------------------------------------------------------------------------------


class TcgListView(APIView):
    @extend_schema(tags=["TCGs"], summary="List all TCGs",
                   operation_id="tcgs_list", responses={200: out.TcgListOut})
    def get(self, request: Request) -> Response:
        return Response({"items": out.TcgOut(selectors.tcg_list(), many=True).data})


class TcgDetailView(APIView):
    @extend_schema(tags=["TCGs"], summary="Get a single TCG",
                   operation_id="tcgs_get",
                   responses={200: out.TcgOut, 404: NOT_FOUND})
    def get(self, request: Request, slug: str) -> Response:
        return Response(out.TcgOut(selectors.tcg_get(slug=slug)).data)


# --- Sets -------------------------------------------------------------------------------------

SetPage = pagination(50, 200)


class SetListView(APIView):
    @extend_schema(tags=["Sets"], summary="List sets for a TCG",
                   operation_id="sets_list",
                   description="Newest first.",
                   parameters=[TCG_SLUG, *_limit_params(50, 200)],
                   responses={200: out.page_of(out.SetOut, "SetPage"), 404: NOT_FOUND,
                              422: INVALID})
    def get(self, request: Request, tcg_slug: str) -> Response:
        _parse(request, SetPage)
        tcg = selectors.tcg_get(slug=tcg_slug)
        return _paginate(request, selectors.set_list(tcg=tcg, card_counts=False), SetPage,
                         out.SetOut)


class SetDetailView(APIView):
    @extend_schema(tags=["Sets"], summary="Get a single set",
                   operation_id="sets_get", parameters=[TCG_SLUG],
                   responses={200: out.SetOut, 404: NOT_FOUND})
    def get(self, request: Request, tcg_slug: str, set_id: str) -> Response:
        tcg = selectors.tcg_get(slug=tcg_slug)
        return Response(out.SetOut(selectors.set_get(tcg=tcg, set_id=int(set_id))).data)


class SetStatsView(APIView):
    @extend_schema(tags=["Sets"], summary="Aggregated stats for a set",
                   operation_id="sets_stats",
                   description="Prices aggregate the cards' best USD price; they are null "
                               "while no card of the set is priced.",
                   responses={200: out.SetStatsOut, 404: NOT_FOUND})
    def get(self, request: Request, set_id: str) -> Response:
        card_set = selectors.set_get(tcg=None, set_id=int(set_id))
        return Response(out.SetStatsOut(selectors.set_stats(card_set=card_set)).data)


class TopCardsQuery(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50)


class SetTopCardsView(APIView):
    @extend_schema(tags=["Sets"], summary="Top-valued cards in a set",
                   operation_id="sets_top_cards",
                   description="A plain list, most valuable first; unpriced cards are left "
                               "out.",
                   parameters=_limit_params(10, 50, offset=False),
                   responses={200: out.TopCardOut(many=True), 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request, set_id: str) -> Response:
        limit = validate_query(TopCardsQuery, request)["limit"]
        card_set = selectors.set_get(tcg=None, set_id=int(set_id))
        cards = selectors.set_top_cards(card_set=card_set, limit=limit)
        return Response(out.TopCardOut(cards, many=True).data)


# --- Cards ------------------------------------------------------------------------------------

CardPage = pagination(50, 200)


class CardListView(APIView):
    @extend_schema(tags=["Cards"], summary="List cards for a TCG",
                   operation_id="cards_list",
                   description="In set and collector-number order.",
                   parameters=[TCG_SLUG, out.CardListQuery, *_limit_params(50, 200)],
                   responses={200: out.page_of(out.CardOut, "CardPage"), 404: NOT_FOUND,
                              422: INVALID})
    def get(self, request: Request, tcg_slug: str) -> Response:
        query = _parse(request, CardPage, out.CardListQuery)
        tcg = selectors.tcg_get(slug=tcg_slug)
        cards = selectors.card_list(tcg=tcg, set_id=query.get("set_id"),
                                    rarity=query.get("rarity") or None,
                                    name=query.get("name") or None)
        return _paginate(request, cards, CardPage, out.CardOut)


class CardDetailView(APIView):
    @extend_schema(tags=["Cards"], summary="Get a card with current prices",
                   operation_id="cards_get",
                   description="`prices` stays empty until the card is priced.",
                   parameters=[TCG_SLUG], responses={200: out.CardDetailOut, 404: NOT_FOUND})
    def get(self, request: Request, tcg_slug: str, card_id: str) -> Response:
        card = selectors.card_get(card_id=int(card_id), tcg_slug=tcg_slug)
        return Response(out.CardDetailOut(card).data)


RecentPage = pagination(20, 100)
NewPage = pagination(50, 200)
TopPage = pagination(25, 100)


class RecentCardsView(APIView):
    @extend_schema(tags=["Cards"], summary="Recently added cards (last 7d)",
                   operation_id="cards_recent",
                   description="Newest first.",
                   parameters=[out.TcgSlugQuery, *_limit_params(20, 100)],
                   responses={200: out.page_of(out.CardAddedOut, "RecentCardPage"),
                              404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request) -> Response:
        slug = _parse(request, RecentPage, out.TcgSlugQuery).get("tcg_slug") or None
        _tcg_or_404(slug)
        since = timezone.now() - timedelta(days=7)
        cards = selectors.card_added_since_qs(since=since, tcg_slug=slug)
        return _paginate(request, cards, RecentPage, out.CardAddedOut)


class NewCardsView(APIView):
    @extend_schema(tags=["Cards"], summary="Recently added cards (date-filtered)",
                   operation_id="cards_new",
                   description="Cards added on or after `since` (00:00 UTC), newest first.",
                   parameters=[out.NewCardsQuery, *_limit_params(50, 200)],
                   responses={200: out.page_of(out.CardAddedOut, "NewCardPage"),
                              404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request) -> Response:
        query = _parse(request, NewPage, out.NewCardsQuery)
        slug = query.get("tcg_slug") or None
        _tcg_or_404(slug)
        since = query.get("since") or (timezone.now() - timedelta(days=30)).date()
        cards = selectors.card_added_since_qs(since=selectors.start_of_day(since),
                                              tcg_slug=slug)
        return _paginate(request, cards, NewPage, out.CardAddedOut)


class TopCardsView(APIView):
    @extend_schema(tags=["Cards"], summary="Top-valued cards across all TCGs",
                   operation_id="cards_top",
                   description="Priced cards only, highest best price first.",
                   parameters=[out.TcgSlugQuery, *_limit_params(25, 100)],
                   responses={200: out.page_of(out.CardSummaryOut, "TopCardPage"),
                              404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request) -> Response:
        slug = _parse(request, TopPage, out.TcgSlugQuery).get("tcg_slug") or None
        _tcg_or_404(slug)
        return _paginate(request, selectors.card_top_qs(tcg_slug=slug), TopPage,
                         out.CardSummaryOut)


def _compare_ids(request: Request) -> list[int]:
    """`ids=1,2,3`: one to three card ids; duplicates count once."""
    raw = request.query_params.get("ids", "")
    parts = [part.strip() for part in raw.split(",")] if raw.strip() else []
    if not parts:
        raise UnprocessableEntity([error_item(["query", "ids"], "field required",
                                              "value_error.missing")])
    if not all(part.isdigit() and 0 < int(part) <= out.MAX_ID for part in parts):
        raise UnprocessableEntity([error_item(["query", "ids"],
                                              "value is not a valid integer",
                                              "type_error.integer")])
    ids = list(dict.fromkeys(int(part) for part in parts))
    if len(ids) > MAX_COMPARE:
        raise UnprocessableEntity([error_item(["query", "ids"],
                                              f"ensure this value has at most {MAX_COMPARE} "
                                              "items", "value_error.list.max_items")])
    return ids


class CompareView(APIView):
    @extend_schema(tags=["Cards"], summary="Compare up to 3 cards by id",
                   operation_id="cards_compare",
                   description="`ids`: 1–3 comma-separated card ids; the cards come back in "
                               "that order.",
                   parameters=[OpenApiParameter("ids", str, required=True,
                                                description="e.g. 891,11172,9669")],
                   responses={200: out.CompareOut, 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request) -> Response:
        cards = selectors.card_get_many(card_ids=_compare_ids(request))
        return Response({"items": out.CardDetailOut(cards, many=True).data})


class MarketplaceUrlsView(APIView):
    @extend_schema(tags=["Cards"], summary="Exact buy-now URLs",
                   operation_id="cards_marketplace_urls",
                   description="Cardmarket (product page when Cardmarket's product id is "
                               "known, else its search), TCGplayer (product page when its id is "
                               "known, else its search) and an eBay search, for one variant.",
                   parameters=[out.MarketplaceQuery],
                   responses={200: out.MarketplaceUrlsOut, 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request, card_id: str) -> Response:
        variant = validate_query(out.MarketplaceQuery, request).get("variant") or None
        card = selectors.card_get(card_id=int(card_id))
        try:
            urls = selectors.card_marketplace_urls(card=card, variant=variant)
        except selectors.UnknownVariant as exc:
            permitted = ", ".join(f"'{name}'" for name in exc.permitted)
            raise UnprocessableEntity([error_item(
                ["query", "variant"],
                f"value is not a valid enumeration member; permitted: {permitted}",
                "type_error.enum")]) from exc
        return Response(out.MarketplaceUrlsOut(urls).data)


class EvolutionChainView(APIView):
    @extend_schema(tags=["Cards"], summary="Evolution chain (Pokémon only)",
                   operation_id="cards_evolution_chain",
                   description="From the Basic to the last stage, from the cards' evolves-from "
                               "data, preferring cards of the same set, then the same series. "
                               "Other games' cards, Trainers and Energy have an empty chain.",
                   responses={200: out.EvolutionChainOut, 404: NOT_FOUND})
    def get(self, request: Request, card_id: str) -> Response:
        card = selectors.card_get(card_id=int(card_id))
        chain = selectors.card_evolution_chain(card=card)
        return Response(out.EvolutionChainOut({"card_id": card.pk, "chain": chain}).data)


# --- Sealed products --------------------------------------------------------------------------

SealedPage = pagination(50, 200)


class SealedListView(APIView):
    @extend_schema(tags=["Sealed products"], summary="List sealed products",
                   operation_id="sealed_list",
                   parameters=[TCG_SLUG, out.SetFilterQuery, *_limit_params(50, 200)],
                   responses={200: out.page_of(out.SealedOut, "SealedPage"), 404: NOT_FOUND,
                              422: INVALID})
    def get(self, request: Request, tcg_slug: str) -> Response:
        set_id = _parse(request, SealedPage, out.SetFilterQuery).get("set_id")
        tcg = selectors.tcg_get(slug=tcg_slug)
        return _paginate(request, selectors.sealed_list(tcg=tcg, set_id=set_id), SealedPage,
                         out.SealedOut)


class SealedDetailView(APIView):
    @extend_schema(tags=["Sealed products"], summary="Sealed product detail with price history",
                   operation_id="sealed_get",
                   description="`price_history` stays empty until the product is priced.",
                   parameters=[TCG_SLUG],
                   responses={200: out.SealedDetailOut, 404: NOT_FOUND})
    def get(self, request: Request, tcg_slug: str, product_id: str) -> Response:
        tcg = selectors.tcg_get(slug=tcg_slug)
        product = selectors.sealed_get(tcg=tcg, product_id=int(product_id))
        return Response(out.SealedDetailOut(product).data)


# --- Search -----------------------------------------------------------------------------------

SearchPage = pagination(50, 200)


class SearchOut(serializers.Serializer):
    items = out.CardSummaryOut(many=True)
    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


class SearchView(APIView):
    @extend_schema(tags=["Search"], summary="Cross-TCG card search",
                   operation_id="search",
                   description="Matches card names (case-insensitive, typo-tolerant), "
                               "collector numbers as printed (`4`, `#4`, `4/102`, `SWSH020`, "
                               "`OP01-001`, `LOB-EN001`) and set names and codes, in any "
                               "combination (`charizard base`, `charizard 4/102`). Ranked: "
                               "exact name, name prefix, name containing the words, then the "
                               "rest; ties by best price, then id.",
                   parameters=[out.SearchQuery,
                               OpenApiParameter("q", str, required=True,
                                                description=out.SearchQuery().fields["q"]
                                                .help_text),
                               *_limit_params(50, 200)],
                   responses={200: SearchOut, 404: NOT_FOUND, 422: INVALID})
    def get(self, request: Request) -> Response:
        query = _parse(request, SearchPage, out.SearchQuery)
        limit, offset = query["limit"], query["offset"]
        cards, total = selectors.card_search(
            q=query["q"], tcg_slug=query.get("tcg_slug") or None, set_id=query.get("set_id"),
            rarity=query.get("rarity"), min_price=query.get("min_price"),
            max_price=query.get("max_price"), limit=limit, offset=offset)
        return Response({"items": out.CardSummaryOut(cards, many=True).data, "total": total,
                         "limit": limit, "offset": offset})
