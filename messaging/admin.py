from __future__ import annotations

from django.contrib import admin

from messaging.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "title", "is_read")
    list_filter = ("kind", "is_read")
    search_fields = ("user__username", "title")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
