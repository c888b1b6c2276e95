"""The price book: current prices per source and segment, daily snapshots, raw source
listings, FX reference rates, scrape runs and price alerts.

A `Price` is the current value for one key — (card or sealed product, source, variant,
condition, language, grade, currency). Every accepted write also upserts that day's
`PriceSnapshot`, so history is the snapshots of the price rows; snapshots are never deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class Source(models.TextChoices):
    TCGPLAYER = "tcgplayer", "TCGplayer"
    CARDMARKET = "cardmarket", "Cardmarket"
    SCRYFALL = "scryfall", "Scryfall"
    CARDTRADER = "cardtrader", "CardTrader"
    PRICECHARTING = "pricecharting", "PriceCharting"
    EBAY = "ebay", "eBay"
    YGOPRODECK = "ygoprodeck", "YGOPRODeck"


class Condition(models.TextChoices):
    NM = "NM", _("Near Mint")
    LP = "LP", _("Lightly Played")
    MP = "MP", _("Moderately Played")
    HP = "HP", _("Heavily Played")
    DMG = "DMG", _("Damaged")


RAW = "raw"  # the grade segment of ungraded cards; graded ones are e.g. psa_10, bgs_9_5


class Price(models.Model):
    """The current price for one key. Exactly one of `card` / `sealed_product` is set."""

    # No single-column indexes: the partial unique keys below start with these columns, and
    # every index would turn the refresh's in-place (HOT) updates into index writes.
    card = models.ForeignKey("catalogue.Card", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="prices", db_index=False)
    sealed_product = models.ForeignKey("catalogue.SealedProduct", on_delete=models.CASCADE,
                                       null=True, blank=True, related_name="prices",
                                       db_index=False)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    variant = models.CharField(
        _("variant"), max_length=32, default="normal",
        help_text=_("Finish / printing as the source names it: normal, holofoil, "
                    "reverse_holofoil, 1st_edition_holofoil, foil, etched, …"))
    condition = models.CharField(_("condition"), max_length=3, choices=Condition.choices,
                                 default=Condition.NM)
    language = models.CharField(_("language"), max_length=8, default="en")
    grade = models.CharField(_("grade"), max_length=16, default=RAW,
                             help_text=_("raw, or the grading company and grade: psa_10, "
                                         "bgs_9_5, cgc_9_5, …"))
    currency = models.CharField(_("currency"), max_length=3)
    market_price = models.DecimalField(_("market price"), **MONEY, null=True, blank=True)
    low_price = models.DecimalField(_("low price"), **MONEY, null=True, blank=True)
    mid_price = models.DecimalField(_("mid price"), **MONEY, null=True, blank=True)
    high_price = models.DecimalField(_("high price"), **MONEY, null=True, blank=True)
    observations = models.PositiveIntegerField(
        _("observations"), default=0,
        help_text=_("Listings or sales behind the figure (0 when the source does not say)."))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # Outlier guard (see pricing.ingest): the median of the last seven daily snapshots, the
    # number of consecutive rejected scrapes and the last rejected figure.
    reference_price = models.DecimalField(_("rolling median"), **MONEY, null=True, blank=True)
    outlier_streak = models.PositiveSmallIntegerField(_("rejected in a row"), default=0)
    rejected_price = models.DecimalField(_("last rejected price"), **MONEY, null=True,
                                         blank=True)
    # The card's reference series (one per card): raw, NM, the longest history; movers,
    # predictions and price_change_7d read it. Maintained by pricing.services.
    is_primary = models.BooleanField(_("reference series"), default=False)
    is_synthetic = models.BooleanField(_("synthetic"), default=False)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.CheckConstraint(
                condition=(Q(card__isnull=False, sealed_product__isnull=True)
                           | Q(card__isnull=True, sealed_product__isnull=False)),
                name="pricing_price_one_item"),
            models.UniqueConstraint(
                fields=["card", "source", "variant", "condition", "language", "grade",
                        "currency"],
                condition=Q(card__isnull=False), name="pricing_price_card_key"),
            models.UniqueConstraint(
                fields=["sealed_product", "source", "variant", "condition", "language",
                        "grade", "currency"],
                condition=Q(sealed_product__isnull=False), name="pricing_price_sealed_key"),
            models.CheckConstraint(condition=Q(market_price__isnull=True)
                                   | Q(market_price__gt=0),
                                   name="pricing_price_market_positive"),
        ]
        indexes = [
            models.Index(fields=["card"], condition=Q(is_primary=True),
                         name="pricing_price_primary"),
        ]

    def __str__(self) -> str:
        return (f"{self.source} {self.variant} {self.condition} {self.language} {self.grade}: "
                f"{self.market_price} {self.currency}")


class PriceSnapshot(models.Model):
    """A price row's value on one day (the last accepted value of that day)."""

    # Keyed by (price, date): the table grows by a row per price per day, so no surrogate id
    # and index. The foreign key cascades through the ORM but is not checked row by row in
    # the database: snapshots are written only by the statement that has just upserted (and
    # locked) their price (pricing.ingest) or by the history import for existing prices.
    pk = models.CompositePrimaryKey("price_id", "date")
    price = models.ForeignKey(Price, on_delete=models.CASCADE, related_name="snapshots",
                              db_index=False, db_constraint=False)
    date = models.DateField(_("date"))
    market_price = models.DecimalField(_("market price"), **MONEY, null=True, blank=True)
    low_price = models.DecimalField(_("low price"), **MONEY, null=True, blank=True)
    high_price = models.DecimalField(_("high price"), **MONEY, null=True, blank=True)
    observations = models.PositiveIntegerField(_("observations"), default=0)

    class Meta:
        verbose_name = _("price snapshot")
        verbose_name_plural = _("price snapshots")

    def __str__(self) -> str:
        return f"{self.date}: {self.market_price}"


class SourceListing(models.Model):
    """A raw observation behind the price book: one marketplace listing or one sale.

    Kept for price intelligence (`/sources`, `/search`); a source's scrape of a card
    replaces that card's listings from that source.
    """

    class Kind(models.TextChoices):
        LISTING = "listing", _("Listing")
        SOLD = "sold", _("Sold")

    class Finish(models.TextChoices):
        NONFOIL = "nonfoil", _("Non-foil")
        FOIL = "foil", _("Foil")
        ETCHED = "etched", _("Etched")

    class Printing(models.TextChoices):
        UNLIMITED = "unlimited", _("Unlimited")
        FIRST_EDITION = "1st_edition", _("1st edition")

    card = models.ForeignKey("catalogue.Card", on_delete=models.CASCADE,
                             related_name="source_listings")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    external_id = models.CharField(_("source's id"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices,
                            default=Kind.LISTING)
    title = models.CharField(_("title"), max_length=300, blank=True, default="")
    condition = models.CharField(_("condition"), max_length=3, choices=Condition.choices,
                                 default=Condition.NM)
    language = models.CharField(_("language"), max_length=8, default="en")
    finish = models.CharField(_("finish"), max_length=8, choices=Finish.choices,
                              default=Finish.NONFOIL)
    printing = models.CharField(_("printing"), max_length=12, choices=Printing.choices,
                                default=Printing.UNLIMITED)
    grade = models.CharField(_("grade"), max_length=16, default=RAW)
    price = models.DecimalField(_("price"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    seller = models.CharField(_("seller"), max_length=100, blank=True, default="")
    url = models.URLField(_("URL"), max_length=500, blank=True, default="")
    observed_at = models.DateTimeField(_("observed at"), default=timezone.now)
    is_synthetic = models.BooleanField(_("synthetic"), default=False)

    class Meta:
        verbose_name = _("source listing")
        verbose_name_plural = _("source listings")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"],
                                    name="pricing_listing_source_id"),
            models.CheckConstraint(condition=Q(price__gt=0), name="pricing_listing_positive"),
        ]
        indexes = [
            models.Index(fields=["card", "source"]),
            models.Index(fields=["card", "-observed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.external_id}: {self.price} {self.currency}"


class FxRate(models.Model):
    """A reference rate: 1 EUR = `rate` `currency` on `date` (ECB euro foreign exchange
    reference rates)."""

    date = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate per euro"), max_digits=18, decimal_places=8)
    source = models.CharField(_("source"), max_length=16, default="ecb")

    class Meta:
        verbose_name = _("FX rate")
        verbose_name_plural = _("FX rates")
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="pricing_fx_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="pricing_fx_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.date} EUR/{self.currency} {self.rate}"


class ScrapeRun(models.Model):
    """One run of a source adapter (or the FX fetch, or a history import)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with rejected rows")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("source"), max_length=32)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    fetched = models.PositiveIntegerField(_("rows fetched"), default=0)
    written = models.PositiveIntegerField(_("rows written"), default=0)
    unmatched = models.PositiveIntegerField(_("rows without a catalogue item"), default=0)
    invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    outliers = models.PositiveIntegerField(_("outliers held back"), default=0)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        verbose_name = _("scrape run")
        verbose_name_plural = _("scrape runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["source", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class PriceAlert(models.Model):
    """Tell me when this card's price crosses my target. Triggers once, then goes inactive."""

    class Direction(models.TextChoices):
        BELOW = "below", _("below")
        ABOVE = "above", _("above")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="price_alerts")
    card = models.ForeignKey("catalogue.Card", on_delete=models.CASCADE,
                             related_name="price_alerts")
    target_price = models.DecimalField(_("target price"), **MONEY)
    condition = models.CharField(_("direction"), max_length=5, choices=Direction.choices,
                                 default=Direction.BELOW)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    triggered_at = models.DateTimeField(_("triggered at"), null=True, blank=True)
    triggered_price = models.DecimalField(_("price that triggered it"), **MONEY, null=True,
                                          blank=True)
    triggered_source = models.CharField(_("source that triggered it"), max_length=16,
                                        blank=True, default="")
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("price alert")
        verbose_name_plural = _("price alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "card", "condition", "target_price", "currency"],
                condition=Q(is_active=True), name="pricing_alert_active_unique"),
            models.CheckConstraint(condition=Q(target_price__gt=0),
                                   name="pricing_alert_target_positive"),
        ]
        indexes = [
            models.Index(fields=["card"], condition=Q(is_active=True),
                         name="pricing_alert_active_card"),
            models.Index(fields=["user", "-triggered_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} {self.condition} {self.target_price} {self.currency}"
