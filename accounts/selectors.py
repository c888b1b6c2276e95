from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import ApiKey, User, hash_api_key


def api_key_get_by_raw(raw: str) -> ApiKey | None:
    """The key (with its user) whose hash matches `raw`, whatever its state."""
    return (ApiKey.objects.select_related("user")
            .filter(key_hash=hash_api_key(raw)).first())


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user).order_by("-created_at", "-id")


def api_key_active_count(*, user: User) -> int:
    """Keys that take a slot of the tier's allowance: active and not expired."""
    return (ApiKey.objects.filter(user=user, is_active=True)
            .exclude(expires_at__lte=timezone.now()).count())


def platform_counts() -> dict[str, int]:
    """Users and sellers for /api/health and /api/stats (the csm counts registry)."""
    return User.objects.aggregate(users=Count("pk"), sellers=Count("pk", filter=Q(is_seller=True)))
