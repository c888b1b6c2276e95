"""Staff views of the price book, scrape runs (with their progress) and alerts. The price and
snapshot tables hold millions of rows: no full counts, raw id widgets, joined lists.

Snapshots have a composite (price, date) key, which Django's admin cannot register (5.2):
each price's page shows its latest daily snapshots instead."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from pricing.models import FxRate, Price, PriceAlert, PriceSnapshot, ScrapeRun, SourceListing

RECENT_SNAPSHOTS = 30


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ("id", "card", "sealed_product", "source", "variant", "condition",
                    "language", "grade", "market_price", "currency", "observations",
                    "recorded_at", "is_primary", "outlier_streak")
    list_filter = ("source", "condition", "currency", "is_primary", "is_synthetic")
    list_select_related = ("card", "sealed_product")
    raw_id_fields = ("card", "sealed_product")
    search_fields = ("=card__id", "card__name")
    show_full_result_count = False
    readonly_fields = ("reference_price", "outlier_streak", "rejected_price",
                       "recent_snapshots")

    @admin.display(description=_("latest daily snapshots"))
    def recent_snapshots(self, price: Price) -> str:
        snapshots = PriceSnapshot.objects.filter(price=price).order_by("-date")[:RECENT_SNAPSHOTS]
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((s.date, s.market_price, s.low_price, s.high_price, s.observations)
             for s in snapshots))
        if not rows:
            return _("none yet")
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>", _("date"), _("market price"), _("low price"),
            _("high price"), _("observations"), rows)


@admin.register(SourceListing)
class SourceListingAdmin(admin.ModelAdmin):
    list_display = ("source", "external_id", "card", "kind", "condition", "finish", "grade",
                    "price", "currency", "seller", "observed_at")
    list_filter = ("source", "kind", "condition", "finish")
    list_select_related = ("card",)
    raw_id_fields = ("card",)
    search_fields = ("=external_id", "title", "seller")
    show_full_result_count = False


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ("date", "currency", "rate", "source")
    list_filter = ("currency", "source")
    date_hierarchy = "date"


@admin.register(ScrapeRun)
class ScrapeRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "source", "status", "progress", "fetched", "written",
                    "unmatched", "invalid", "outliers", "finished_at")
    list_filter = ("source", "status")
    readonly_fields = [field.name for field in ScrapeRun._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False  # runs are recorded by the scrapes themselves


@admin.register(PriceAlert)
class PriceAlertAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "card", "condition", "target_price", "currency",
                    "is_active", "triggered_at", "triggered_price", "emailed_at")
    list_filter = ("is_active", "condition", "currency")
    list_select_related = ("user", "card")
    raw_id_fields = ("user", "card")
    search_fields = ("user__username", "card__name")
