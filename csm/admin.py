from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from csm.models import AppRelease, Incident, PlatformSettings, StatusCheck
from csm.services import platform_settings_update


@admin.register(PlatformSettings)
class PlatformSettingsAdmin(admin.ModelAdmin):
    """One row; saved through the service so the cached copy is dropped."""

    list_display = ("__str__", "seller_fee_pct", "buyer_protection_pct", "min_payout_eur",
                    "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PlatformSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PlatformSettings, form: Any,
                   change: bool) -> None:
        fields = [name for name in form.fields if name != "updated_at"]
        updated = platform_settings_update(
            changes={name: form.cleaned_data[name] for name in fields})
        obj.pk, obj.updated_at = updated.pk, updated.updated_at


@admin.register(AppRelease)
class AppReleaseAdmin(admin.ModelAdmin):
    list_display = ("platform", "version_name", "version_code", "min_supported",
                    "is_published", "published_at")
    list_filter = ("platform", "is_published")
    search_fields = ("version_name", "release_notes")
    ordering = ("platform", "-version_code")
    date_hierarchy = "published_at"


@admin.register(StatusCheck)
class StatusCheckAdmin(admin.ModelAdmin):
    """Probe results are written by the status job only."""

    list_display = ("target", "status", "latency_ms", "detail", "checked_at")
    list_filter = ("target", "status")
    date_hierarchy = "checked_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("target", "status", "started_at", "resolved_at", "detail")
    list_filter = ("target", "status", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("target", "detail")
    date_hierarchy = "started_at"
