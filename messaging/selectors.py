"""Reads for the unified notification feed."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from accounts.models import User
from messaging.models import Notification


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The user's feed, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_unread_counts(*, user: User) -> dict[str, int]:
    """Unread items per kind (kinds without unread items are absent). One GROUP BY query on
    the partial unread index."""
    rows = (Notification.objects.filter(user=user, is_read=False).order_by()
            .values_list("kind").annotate(n=Count("id")))
    return dict(rows)
