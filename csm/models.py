from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class PlatformSettings(models.Model):
    """The single row of admin-editable platform settings (fees, payouts, announcement)."""

    SINGLETON_ID = 1

    seller_fee_pct = models.DecimalField(_("seller fee (%)"), max_digits=5, decimal_places=2,
                                         default=Decimal("5.00"), validators=PERCENT)
    buyer_protection_pct = models.DecimalField(_("buyer protection fee (%)"), max_digits=5,
                                               decimal_places=2, default=Decimal("0.00"),
                                               validators=PERCENT)
    min_payout_eur = models.DecimalField(_("minimum payout (EUR)"), max_digits=10,
                                         decimal_places=2, default=Decimal("25.00"),
                                         validators=[MinValueValidator(Decimal("0"))])
    site_announcement = models.TextField(_("site announcement (English)"), blank=True,
                                         default="", max_length=500)
    site_announcement_nl = models.TextField(_("site announcement (Dutch)"), blank=True,
                                            default="", max_length=500,
                                            help_text=_("Shown on Dutch pages; falls back to "
                                                        "the English text when empty."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("platform settings")
        verbose_name_plural = _("platform settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="csm_platformsettings_singleton"),
            models.CheckConstraint(
                condition=models.Q(seller_fee_pct__gte=0, seller_fee_pct__lte=100,
                                   buyer_protection_pct__gte=0, buyer_protection_pct__lte=100,
                                   min_payout_eur__gte=0),
                name="csm_platformsettings_ranges"),
        ]

    def __str__(self) -> str:
        return str(_("Platform settings"))

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        self.pk = self.SINGLETON_ID
        super().save(*args, **kwargs)


class AppRelease(models.Model):
    """A published mobile-app version; /api/app/latest serves the newest per platform."""

    class Platform(models.TextChoices):
        ANDROID = "android", "Android"
        IOS = "ios", "iOS"

    platform = models.CharField(_("platform"), max_length=8, choices=Platform.choices)
    version_name = models.CharField(
        _("version name"), max_length=32,
        validators=[RegexValidator(r"^\d+(\.\d+){0,3}([-+][0-9A-Za-z.]+)?\Z")])
    version_code = models.PositiveIntegerField(_("version code"))
    min_supported = models.CharField(
        _("minimum supported version"), max_length=32,
        validators=[RegexValidator(r"^\d+(\.\d+){0,3}\Z")])
    release_notes = models.TextField(_("release notes"), blank=True, default="")
    is_published = models.BooleanField(_("published"), default=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("app release")
        verbose_name_plural = _("app releases")
        ordering = ["platform", "-version_code"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "version_code"],
                                    name="csm_apprelease_platform_code_unique"),
        ]
        indexes = [models.Index(fields=["platform", "is_published", "-version_code"])]

    def __str__(self) -> str:
        return f"{self.platform} {self.version_name} ({self.version_code})"


class ServiceStatus(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")
    UNKNOWN = "unknown", _("Unknown")


class StatusCheck(models.Model):
    """One probe result for one target (api, database, redis, workers, scrapers …)."""

    target = models.CharField(_("target"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=ServiceStatus.choices)
    latency_ms = models.FloatField(_("latency (ms)"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True, default="")
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        verbose_name = _("status check")
        verbose_name_plural = _("status checks")
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["target", "-checked_at"]),
                   models.Index(fields=["checked_at"])]  # pruning by age

    def __str__(self) -> str:
        return f"{self.target}: {self.status}"


class Incident(models.Model):
    """A period during which a target was degraded or down."""

    target = models.CharField(_("target"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=ServiceStatus.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True, default="")
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["target"], condition=models.Q(resolved_at__isnull=True),
                                    name="csm_incident_one_open_per_target"),
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.status} since {self.started_at:%Y-%m-%d %H:%M}"
