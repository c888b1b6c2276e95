"""The unified notification feed (alert triggers now; messages, bids and listing events as
those features arrive)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        ALERT_TRIGGERED = "alert_triggered", _("Price alert triggered")
        NEW_MESSAGE = "new_message", _("New message")
        BID = "bid", _("Bid")
        LISTING_STATUS = "listing_status", _("Listing status")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True)
    is_read = models.BooleanField(_("read"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "kind"], condition=models.Q(is_read=False),
                         name="messaging_notif_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.title}"
