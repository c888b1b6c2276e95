from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tiers import TierSlug

USERNAME_VALIDATORS = [
    MinLengthValidator(3),
    RegexValidator(
        r"^[a-z0-9][a-z0-9_.-]*\Z",
        _("Use lowercase letters, digits, dots, dashes and underscores; "
          "start with a letter or digit."),
        code="invalid_username",
    ),
]


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username: str) -> User:
        return self.get(username=username.lower())

    def _create_user(self, username, email, password, **extra_fields):  # noqa: ANN001, ANN202
        return super()._create_user(username.lower(), email, password, **extra_fields)


class User(AbstractUser):
    """A collector, seller or staff member. `is_admin` in the API is Django's `is_staff`."""

    username = models.CharField(
        _("username"), max_length=30, unique=True, validators=USERNAME_VALIDATORS,
        help_text=_("3 to 30 characters: lowercase letters, digits, dots, dashes, underscores."),
        error_messages={"unique": _("username already taken")},
    )
    email = models.EmailField(_("email address"))
    is_seller = models.BooleanField(_("seller"), default=False)
    tier = models.CharField(_("subscription tier"), max_length=16, choices=TierSlug.choices,
                            default=TierSlug.FREE, db_index=True)
    deletion_requested_at = models.DateTimeField(_("deletion requested at"), null=True,
                                                 blank=True, db_index=True)
    alert_digest_opt_in = models.BooleanField(
        _("daily price-alert email"), default=False,
        help_text=_("Send me a daily email with the price alerts that triggered."))
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES,
        help_text=_("Emails and notifications are written in it (empty: the site's default). "
                    "Set at sign-up and whenever the user switches the site's language."))

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(username=Lower("username")),
                                   name="accounts_user_username_lowercase"),
            models.CheckConstraint(condition=models.Q(tier__in=TierSlug.values),
                                   name="accounts_user_tier_valid"),
        ]

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        self.username = (self.username or "").lower()
        self.email = (self.email or "").strip()
        super().save(*args, **kwargs)

    @property
    def is_admin(self) -> bool:
        return self.is_staff

    @property
    def created_at(self):  # noqa: ANN201
        return self.date_joined


KEY_PREFIX = "csm_"


def hash_api_key(raw: str) -> str:
    """Keys carry 190+ bits of randomness, so a fast one-way hash is the right storage."""
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")


class ApiKey(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, help_text=_("Shown to identify the key."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    tier = models.CharField(_("tier"), max_length=16, choices=TierSlug.choices,
                            default=TierSlug.FREE)
    daily_limit = models.PositiveIntegerField(_("requests per day"), null=True, blank=True,
                                              help_text=_("Empty means unlimited."))
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), null=True,
                                                        blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "is_active"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(tier__in=TierSlug.values),
                                   name="accounts_apikey_tier_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def quota_bucket(self) -> str:
        return f"key:{self.pk}"

    def is_expired(self, now=None) -> bool:  # noqa: ANN001
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class Device(models.Model):
    """A phone registered for push notifications (FCM on Android, APNs on iOS)."""

    class Platform(models.TextChoices):
        ANDROID = "android", "Android"
        IOS = "ios", "iOS"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    platform = models.CharField(_("platform"), max_length=8, choices=Platform.choices)
    token = models.CharField(_("push token"), max_length=512, unique=True)
    app_version = models.CharField(_("app version"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.platform}:{self.token[:12]}…"
