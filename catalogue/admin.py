from __future__ import annotations

from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalogue.models import TCG, Card, CardSet, SealedProduct

TIMESTAMPS = ("created_at", "updated_at")
# Source URLs are https; say so now rather than rely on Django 6's changing default.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class SetOfChosenTCGFilter(admin.SimpleListFilter):
    """Sets of the TCG picked in the TCG filter: a list of every set of every game is too long
    to be useful, so the filter appears once a game is chosen (?card_set=<id> works always)."""

    title = _("set")
    parameter_name = "card_set"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        tcg_id = request.GET.get("tcg__id__exact", "")
        if not tcg_id.isdigit():
            return []
        return [(str(pk), f"{name} ({code or source_id})") for pk, name, code, source_id in
                CardSet.objects.filter(tcg_id=int(tcg_id))
                .values_list("pk", "name", "code", "source_id")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(card_set_id=int(value))
        return queryset


class RarityFilter(admin.SimpleListFilter):
    """Rarities in use (of the chosen TCG when one is picked): read from the data, since every
    game names its rarities differently."""

    title = _("rarity")
    parameter_name = "rarity"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        cards = Card.objects.exclude(rarity="")
        tcg_id = request.GET.get("tcg__id__exact", "")
        if tcg_id.isdigit():
            cards = cards.filter(tcg_id=int(tcg_id))
        rarities = cards.order_by("rarity").values_list("rarity", flat=True).distinct()
        return [(rarity, rarity) for rarity in rarities]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(rarity=self.value())
        return queryset


@admin.register(TCG)
class TCGAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("name", "slug", "publisher", "website_url", "sort_order")
    list_editable = ("sort_order",)
    search_fields = ("name", "slug", "publisher")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    ordering = ("sort_order", "name")


@admin.register(CardSet)
class CardSetAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("name", "code", "source_id", "tcg", "series", "release_date", "total_cards",
                    "is_synthetic")
    list_filter = ("tcg", "is_synthetic")
    list_select_related = ("tcg",)
    search_fields = ("name", "code", "source_id", "series")
    autocomplete_fields = ("tcg",)
    readonly_fields = TIMESTAMPS
    date_hierarchy = "release_date"
    ordering = ("tcg__sort_order", "-release_date", "name")
    show_full_result_count = False


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("name", "number", "card_set", "tcg", "rarity", "card_type", "best_price",
                    "has_local_image", "is_synthetic")
    list_filter = ("tcg", SetOfChosenTCGFilter, RarityFilter, "is_synthetic")
    list_select_related = ("tcg", "card_set")
    search_fields = ("name", "=number", "source_id", "card_set__code", "card_set__source_id",
                     "=pokemontcg_id")
    autocomplete_fields = ("tcg", "card_set")
    readonly_fields = TIMESTAMPS
    ordering = ("card_set", "number_sort", "number", "variant_key")
    show_full_result_count = False
    actions = ("fetch_images",)
    fieldsets = (
        (None, {"fields": ("tcg", "card_set", "name", "number", "number_sort", "variant_key",
                           "rarity", "card_type", "source_id")}),
        (_("Images"), {"fields": ("image_url", "local_image_url")}),
        (_("Game data"), {"fields": ("attributes", "variants", "legalities", "foreign_names",
                                     "evolves_from")}),
        (_("External ids"), {"fields": ("tcgplayer_product_id", "cardmarket_product_id",
                                        "scryfall_id", "pokemontcg_id", "ygoprodeck_id")}),
        (_("Prices (maintained by the pricing engine)"),
         {"fields": ("best_price", "price_change_7d")}),
        (None, {"fields": ("is_synthetic", *TIMESTAMPS)}),
    )

    @admin.display(boolean=True, description=_("local image"))
    def has_local_image(self, card: Card) -> bool:
        return bool(card.local_image_url)

    @admin.action(description=_("Download images and make thumbnails (again)"))
    def fetch_images(self, request: HttpRequest, queryset: QuerySet) -> None:
        from catalogue.tasks import card_images_fetch

        card_ids = list(queryset.values_list("pk", flat=True))
        transaction.on_commit(lambda: card_images_fetch.delay(card_ids, force=True))
        self.message_user(request, ngettext(
            "Queued the image download for %(count)d card.",
            "Queued the image download for %(count)d cards.",
            len(card_ids)) % {"count": len(card_ids)}, messages.SUCCESS)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet,
                           search_term: str) -> tuple[QuerySet, bool]:
        # People type collector numbers as "#4": search the number itself.
        return super().get_search_results(request, queryset, search_term.strip().lstrip("#"))


@admin.register(SealedProduct)
class SealedProductAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("name", "kind", "tcg", "card_set", "tcgplayer_product_id", "best_price",
                    "updated_at")
    list_filter = ("tcg", "kind")
    list_select_related = ("tcg", "card_set")
    search_fields = ("name", "source_id", "card_set__code", "card_set__name")
    autocomplete_fields = ("tcg", "card_set")
    readonly_fields = TIMESTAMPS
