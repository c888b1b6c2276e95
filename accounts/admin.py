from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm, UsernameField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey, Device, User


class LowercaseUsernameField(UsernameField):
    """Usernames are stored lowercase; lowercase before the model's validators see them."""

    def to_python(self, value: str | None) -> str | None:
        value = super().to_python(value)
        return value.lower() if value else value


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")
        field_classes = {"username": LowercaseUsernameField}


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        field_classes = {"username": LowercaseUsernameField}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = ("username", "email", "tier", "is_seller", "is_staff", "date_joined",
                    "deletion_requested_at")
    list_filter = ("tier", "is_seller", "is_staff", "is_superuser", "is_active", "language")
    search_fields = ("username", "email")
    ordering = ("-date_joined",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Marketplace and API"), {"fields": ("tier", "is_seller", "deletion_requested_at")}),
        (_("Emails and notifications"), {"fields": ("language", "alert_digest_opt_in")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2")}),
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created by their owners (the raw key is shown to them once, never here)."""

    list_display = ("prefix", "name", "user", "tier", "is_active", "last_used_at", "expires_at")
    list_filter = ("tier", "is_active")
    search_fields = ("prefix", "name", "user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "prefix", "key_hash", "tier", "daily_limit",
              "rate_limit_per_minute", "is_active", "created_at", "last_used_at", "expires_at",
              "revoked_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "platform", "app_version", "created_at", "updated_at")
    list_filter = ("platform",)
    search_fields = ("user__username", "user__email", "token")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
