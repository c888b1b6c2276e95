"""Writes for accounts. Every service is keyword-only and atomic."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from accounts.models import ApiKey, User, generate_api_key, hash_api_key
from accounts.quotas import reset_bucket
from accounts.tiers import TIERS, tier_allows


@transaction.atomic
def api_key_create(*, user: User, name: str, tier: str | None = None,
                   expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its raw value (the only time the raw value exists).

    The user row is locked so concurrent creations cannot exceed the tier's key allowance.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    tier = tier or locked.tier
    if not tier_allows(locked.tier, tier):
        raise PermissionDenied(
            f"Your subscription is {TIERS[locked.tier].label}; "
            f"a {TIERS[tier].label} key needs a {TIERS[tier].label} subscription.")
    allowed = TIERS[locked.tier].max_keys
    active = ApiKey.objects.filter(user=locked, is_active=True).count()
    if allowed is not None and active >= allowed:
        raise PermissionDenied(
            f"The {TIERS[locked.tier].label} tier allows {allowed} active API "
            f"key{'s' if allowed != 1 else ''}; revoke one or upgrade your tier.")
    if expires_at is not None and expires_at <= timezone.now():
        raise PermissionDenied("expires_at must be in the future")
    raw = generate_api_key()
    limits = TIERS[tier]
    key = ApiKey.objects.create(
        user=locked, name=name, prefix=raw[:12], key_hash=hash_api_key(raw), tier=tier,
        daily_limit=limits.requests_per_day, rate_limit_per_minute=limits.requests_per_minute,
        expires_at=expires_at,
    )
    reset_bucket(key.quota_bucket)
    return key, raw


@transaction.atomic
def api_key_rename(*, key: ApiKey, name: str) -> ApiKey:
    key.name = name
    key.save(update_fields=["name"])
    return key


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=key.pk, is_active=True).update(is_active=False,
                                                            revoked_at=timezone.now())
    key.refresh_from_db()
    return key
