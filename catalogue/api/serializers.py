"""Input (query) and output serializers of the catalogue API, in the contract's shapes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.models import TCG, Card, CardSet, SealedProduct

MAX_ID = 2**63 - 1  # ids are 64-bit; larger numbers are refused before they reach the database


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def money_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                    coerce_to_string=False, **kwargs)


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """`{"items", "total", "limit", "offset"}` around `item` (for the OpenAPI schema)."""
    return type(name, (serializers.Serializer,), {
        "items": item(many=True), "total": serializers.IntegerField(),
        "limit": serializers.IntegerField(), "offset": serializers.IntegerField()})


# --- Query parameters -------------------------------------------------------------------------


class TcgSlugQuery(serializers.Serializer):
    tcg_slug = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                     help_text="Restrict to one TCG, e.g. `pokemon`.")


class CardListQuery(serializers.Serializer):
    set_id = id_field(required=False, help_text="Filter by set.")
    rarity = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                   help_text="Exact rarity, case-insensitive.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                 help_text="Substring of the name (case-insensitive).")


class SetFilterQuery(serializers.Serializer):
    set_id = id_field(required=False, help_text="Filter by set.")


class NewCardsQuery(TcgSlugQuery):
    since = serializers.DateField(required=False, input_formats=["%Y-%m-%d"],
                                  help_text="YYYY-MM-DD; default 30 days ago.")


class SearchQuery(TcgSlugQuery):
    q = serializers.CharField(required=False, default="", allow_blank=True, max_length=200,
                              help_text="Free text: card name, collector number "
                                        "(`4`, `#4`, `4/102`, `SWSH020`, `OP01-001`) or set "
                                        "name / code, in any combination.")
    set_id = id_field(required=False)
    rarity = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                   help_text="Exact rarity, case-insensitive.")
    min_price = serializers.FloatField(required=False, min_value=0,
                                       help_text="USD market price (best_price).")
    max_price = serializers.FloatField(required=False, min_value=0)

    def validate_q(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("field required", code="required")
        return value


class MarketplaceQuery(serializers.Serializer):
    variant = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                    help_text="normal | holo | 1st_edition_holo | … (default "
                                              "normal, or the card's only printing).")


# --- TCGs and sets ----------------------------------------------------------------------------


class TcgOut(serializers.ModelSerializer):
    class Meta:
        model = TCG
        fields = ["id", "slug", "name", "publisher", "logo_url", "website_url", "description",
                  "created_at"]


class TcgListOut(serializers.Serializer):
    items = TcgOut(many=True)


class SetOut(serializers.ModelSerializer):
    tcg_id = serializers.IntegerField()

    class Meta:
        model = CardSet
        fields = ["id", "tcg_id", "name", "code", "release_date", "total_cards", "logo_url"]


class SetSummaryOut(serializers.ModelSerializer):
    class Meta:
        model = CardSet
        fields = ["id", "name", "code", "series", "release_date", "total_cards",
                  "printed_total", "logo_url"]


class SetStatsOut(serializers.Serializer):
    set_id = serializers.IntegerField()
    card_count = serializers.IntegerField()
    min_price = money_field()
    max_price = money_field()
    avg_price = money_field()
    total_value = money_field()


def _display_image(card: Card) -> str | None:
    return card.local_image_url or card.image_url or None


class TopCardOut(serializers.Serializer):
    card_id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    number = serializers.CharField()
    rarity = serializers.CharField()
    image_url = serializers.SerializerMethodField(
        help_text="The local copy when there is one, else the source image.")
    best_price = money_field()
    tcg_slug = serializers.CharField(source="tcg.slug")

    def get_image_url(self, card: Card) -> str | None:
        return _display_image(card)


# --- Cards ------------------------------------------------------------------------------------


class NullIfEmptyCharField(serializers.CharField):
    def to_representation(self, value: Any) -> str | None:
        return value or None


class CardOut(serializers.ModelSerializer):
    card_set_id = serializers.IntegerField()
    image_url = NullIfEmptyCharField(allow_null=True)
    local_image_url = NullIfEmptyCharField(allow_null=True)

    class Meta:
        model = Card
        fields = ["id", "card_set_id", "name", "number", "rarity", "card_type", "image_url",
                  "local_image_url", "attributes"]


class PriceOut(serializers.Serializer):
    source = serializers.CharField()
    market_price = serializers.FloatField()
    currency = serializers.CharField()
    variant = serializers.CharField()
    condition = serializers.CharField(help_text="NM, LP, MP, HP or DMG.")
    language = serializers.CharField()
    grade = serializers.CharField(help_text="`raw`, or the grading company and grade "
                                            "(`psa_10`, `bgs_9_5`, …).")


def _detail_prices(card_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    from pricing.selectors import card_detail_prices  # pricing builds on the catalogue

    return card_detail_prices(card_ids=card_ids)


class CardDetailListOut(serializers.ListSerializer):
    """Many card details (`/api/compare`): every card's prices in one query."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        cards = list(data)
        books = _detail_prices([card.pk for card in cards])
        for card in cards:
            card.price_book = books[card.pk]
        return super().to_representation(cards)


class CardDetailOut(CardOut):
    tcg_slug = serializers.CharField(source="tcg.slug")
    set = SetSummaryOut(source="card_set")
    variants = serializers.ListField(child=serializers.CharField())
    best_price = money_field(help_text="Best current USD market price; null until priced.")
    price_change_7d = money_field(help_text="7-day change in percent.")
    prices = serializers.SerializerMethodField(
        help_text="Current prices: one entry per price row (every source, variant, condition, "
                  "language and grade), raw near-mint rows first; empty until the card is "
                  "priced.")

    class Meta(CardOut.Meta):
        fields = ["id", "card_set_id", "tcg_slug", "name", "number", "rarity", "card_type",
                  "image_url", "local_image_url", "attributes", "variants", "set",
                  "best_price", "price_change_7d", "prices"]
        list_serializer_class = CardDetailListOut

    @extend_schema_field(PriceOut(many=True))
    def get_prices(self, card: Card) -> list[dict[str, Any]]:
        book = getattr(card, "price_book", None)  # set for many cards at once by the list
        return book if book is not None else _detail_prices([card.pk])[card.pk]

    def to_representation(self, card: Card) -> dict[str, Any]:
        # The hottest endpoint: a ModelSerializer rebuilds its fields for every instance, which
        # costs more than the query. The declared fields stay for the schema.
        card_set = card.card_set
        return {
            "id": card.pk, "card_set_id": card.card_set_id, "tcg_slug": card.tcg.slug,
            "name": card.name, "number": card.number, "rarity": card.rarity,
            "card_type": card.card_type, "image_url": card.image_url or None,
            "local_image_url": card.local_image_url or None, "attributes": card.attributes,
            "variants": list(card.variants),
            "set": {"id": card_set.pk, "name": card_set.name, "code": card_set.code,
                    "series": card_set.series,
                    "release_date": card_set.release_date.isoformat()
                    if card_set.release_date else None,
                    "total_cards": card_set.total_cards,
                    "printed_total": card_set.printed_total, "logo_url": card_set.logo_url},
            "best_price": card.best_price, "price_change_7d": card.price_change_7d,
            "prices": self.get_prices(card),
        }


class CompareOut(serializers.Serializer):
    items = CardDetailOut(many=True)


class CardSummaryOut(serializers.Serializer):
    """A card in search results and card feeds."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    number = serializers.CharField()
    rarity = serializers.CharField()
    card_type = serializers.CharField()
    display_image_url = serializers.SerializerMethodField()
    set_name = serializers.CharField(source="card_set.name")
    set_code = serializers.CharField(source="card_set.code")
    tcg_slug = serializers.CharField(source="tcg.slug")
    best_price = money_field()
    price_change_7d = money_field()

    def get_display_image_url(self, card: Card) -> str | None:
        return _display_image(card)

    def to_representation(self, card: Card) -> dict[str, Any]:
        # Search pages serialise up to 200 of these per request; building the dict directly is
        # several times faster than walking the declared fields (which stay for the schema).
        return {"id": card.pk, "name": card.name, "number": card.number, "rarity": card.rarity,
                "card_type": card.card_type, "display_image_url": _display_image(card),
                "set_name": card.card_set.name, "set_code": card.card_set.code,
                "tcg_slug": card.tcg.slug, "best_price": card.best_price,
                "price_change_7d": card.price_change_7d}


class CardAddedOut(CardSummaryOut):
    created_at = serializers.DateTimeField()

    def to_representation(self, card: Card) -> dict[str, Any]:
        return {**super().to_representation(card),
                "created_at": self.fields["created_at"].to_representation(card.created_at)}


class MarketplaceUrlsOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    variant = serializers.CharField()
    cardmarket_url = serializers.URLField(allow_null=True,
                                          help_text="Null for games Cardmarket does not sell.")
    tcgplayer_url = serializers.URLField()
    ebay_url = serializers.URLField()


class EvolutionStepOut(serializers.Serializer):
    stage = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    card_id = serializers.IntegerField(allow_null=True)


class EvolutionChainOut(serializers.Serializer):
    card_id = serializers.IntegerField()
    chain = EvolutionStepOut(many=True)


# --- Sealed products --------------------------------------------------------------------------


class SealedOut(serializers.ModelSerializer):
    tcg_id = serializers.IntegerField()
    card_set_id = serializers.IntegerField(allow_null=True)
    image_url = NullIfEmptyCharField(allow_null=True)
    best_price = money_field()

    class Meta:
        model = SealedProduct
        fields = ["id", "tcg_id", "card_set_id", "name", "kind", "image_url", "best_price"]


class SealedPricePointOut(serializers.Serializer):
    date = serializers.DateField()
    source = serializers.CharField()
    market_price = serializers.FloatField()
    currency = serializers.CharField()
    variant = serializers.CharField()


class SealedDetailOut(SealedOut):
    set = SetSummaryOut(source="card_set", allow_null=True)
    price_history = serializers.SerializerMethodField(
        help_text="Dated prices from the daily snapshots of the product's raw prices (every "
                  "source, each in its own currency), oldest first; empty until the product "
                  "is priced.")

    class Meta(SealedOut.Meta):
        fields = [*SealedOut.Meta.fields, "tcgplayer_product_id", "cardmarket_product_id",
                  "set", "price_history"]

    @extend_schema_field(SealedPricePointOut(many=True))
    def get_price_history(self, product: SealedProduct) -> list[dict[str, Any]]:
        from pricing.selectors import sealed_price_history  # pricing builds on the catalogue

        return sealed_price_history(sealed_id=product.pk)
