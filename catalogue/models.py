from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TCG(models.Model):
    """A trading card game (the spec's twelve, seeded by a data migration)."""

    slug = models.SlugField(_("slug"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    publisher = models.CharField(_("publisher"), max_length=100, blank=True, default="")
    logo_url = models.URLField(_("logo URL"), max_length=500, null=True, blank=True)
    website_url = models.URLField(_("website"), max_length=500, blank=True, default="")
    description = models.TextField(_("description"), blank=True, default="")
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("trading card game")
        verbose_name_plural = _("trading card games")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class CardSet(models.Model):
    """A set (expansion). Ids are global across TCGs; `source_id` is the data source's key."""

    tcg = models.ForeignKey(TCG, on_delete=models.CASCADE, related_name="sets")
    source_id = models.CharField(_("source id"), max_length=64,
                                 help_text=_("The data source's key, e.g. base1, LEA, OP01."))
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=32, blank=True, default="",
                            help_text=_("Printed or trading code, e.g. BS, LEA, OP01."))
    series = models.CharField(_("series"), max_length=100, blank=True, default="")
    release_date = models.DateField(_("release date"), null=True, blank=True)
    total_cards = models.PositiveIntegerField(_("total cards"), null=True, blank=True)
    printed_total = models.PositiveIntegerField(_("printed total"), null=True, blank=True)
    logo_url = models.URLField(_("logo URL"), max_length=500, null=True, blank=True)
    symbol_url = models.URLField(_("symbol URL"), max_length=500, null=True, blank=True)
    external_ids = models.JSONField(_("external ids"), default=dict, blank=True)
    is_synthetic = models.BooleanField(
        _("synthetic"), default=False,
        help_text=_("Generated for benchmarks only; never real catalogue data."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("set")
        verbose_name_plural = _("sets")
        ordering = ["tcg", "-release_date", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tcg", "source_id"],
                                    name="catalogue_set_source_unique"),
        ]
        indexes = [
            models.Index(fields=["tcg", "-release_date"]),
            models.Index(fields=["code"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code or self.source_id})"


class Card(models.Model):
    """One printing of a card in a set. Identity: set + collector number + variant key."""

    tcg = models.ForeignKey(TCG, on_delete=models.CASCADE, related_name="cards")
    card_set = models.ForeignKey(CardSet, on_delete=models.CASCADE, related_name="cards")
    source_id = models.CharField(_("source id"), max_length=100,
                                 help_text=_("The data source's stable key for this printing."))
    name = models.CharField(_("name"), max_length=200)
    number = models.CharField(_("collector number"), max_length=32)
    number_sort = models.PositiveIntegerField(
        _("number for sorting"), default=0,
        help_text=_("The numeric part of the collector number, for ordering."))
    variant_key = models.CharField(
        _("variant key"), max_length=32, blank=True, default="",
        help_text=_("Distinguishes printings that share a number (alternate art, …)."))
    rarity = models.CharField(_("rarity"), max_length=64, blank=True, default="")
    card_type = models.CharField(_("card type"), max_length=100, blank=True, default="")
    image_url = models.URLField(_("image URL"), max_length=500, blank=True, default="")
    local_image_url = models.CharField(_("local image"), max_length=500, blank=True, default="")
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    variants = models.JSONField(
        _("variants / finishes"), default=list, blank=True,
        help_text=_("Price variants this printing exists in, e.g. normal, holo, foil."))
    legalities = models.JSONField(_("legalities"), default=dict, blank=True)
    foreign_names = models.JSONField(_("names in other languages"), default=dict, blank=True)
    evolves_from = models.CharField(_("evolves from"), max_length=200, blank=True, default="")
    tcgplayer_product_id = models.PositiveIntegerField(null=True, blank=True)
    cardmarket_product_id = models.PositiveIntegerField(null=True, blank=True)
    scryfall_id = models.UUIDField(null=True, blank=True)
    pokemontcg_id = models.CharField(max_length=32, null=True, blank=True)
    ygoprodeck_id = models.PositiveIntegerField(null=True, blank=True)
    # Maintained by the pricing app; read by search and lists.
    best_price = models.DecimalField(_("best price (USD)"), max_digits=12, decimal_places=2,
                                     null=True, blank=True)
    price_change_7d = models.DecimalField(_("7-day change (%)"), max_digits=9, decimal_places=2,
                                          null=True, blank=True)
    is_synthetic = models.BooleanField(_("synthetic"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["card_set", "number_sort", "number", "variant_key"]
        constraints = [
            models.UniqueConstraint(fields=["card_set", "number", "variant_key"],
                                    name="catalogue_card_identity"),
            models.UniqueConstraint(fields=["tcg", "source_id"],
                                    name="catalogue_card_source_unique"),
        ]
        indexes = [
            models.Index(fields=["card_set", "number_sort"]),
            models.Index(fields=["tcg", "name"]),
            models.Index(fields=["tcg", "rarity"]),
            models.Index(fields=["tcg", "-created_at"]),
            models.Index(fields=["-created_at"]),
            models.Index(fields=["tcg", "-best_price"]),
            models.Index(fields=["-best_price"]),
            models.Index(fields=["number"]),
            models.Index(fields=["tcgplayer_product_id"]),
            models.Index(fields=["cardmarket_product_id"]),
            models.Index(fields=["scryfall_id"]),
            models.Index(fields=["pokemontcg_id"]),
            models.Index(fields=["ygoprodeck_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.number}"


class SealedProduct(models.Model):
    """A sealed product: booster box, elite trainer box, bundle, …"""

    class Kind(models.TextChoices):
        BOOSTER_BOX = "booster_box", _("Booster box")
        BOOSTER_PACK = "booster_pack", _("Booster pack")
        BOOSTER_BUNDLE = "booster_bundle", _("Booster bundle")
        ETB = "etb", _("Elite trainer box")
        COLLECTION_BOX = "collection_box", _("Collection box")
        TIN = "tin", _("Tin")
        DECK = "deck", _("Deck")
        CASE = "case", _("Case")
        OTHER = "other", _("Other")

    tcg = models.ForeignKey(TCG, on_delete=models.CASCADE, related_name="sealed_products")
    card_set = models.ForeignKey(CardSet, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="sealed_products")
    source_id = models.CharField(_("source id"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    image_url = models.URLField(_("image URL"), max_length=500, blank=True, default="")
    tcgplayer_product_id = models.PositiveIntegerField(null=True, blank=True)
    cardmarket_product_id = models.PositiveIntegerField(null=True, blank=True)
    external_ids = models.JSONField(_("external ids"), default=dict, blank=True)
    best_price = models.DecimalField(_("best price (USD)"), max_digits=12, decimal_places=2,
                                     null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sealed product")
        verbose_name_plural = _("sealed products")
        ordering = ["tcg", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tcg", "source_id"],
                                    name="catalogue_sealed_source_unique"),
        ]
        indexes = [
            models.Index(fields=["tcg", "card_set"]),
            models.Index(fields=["tcgplayer_product_id"]),
        ]

    def __str__(self) -> str:
        return self.name
