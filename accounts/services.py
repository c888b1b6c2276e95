"""Writes for accounts. Every service is keyword-only and atomic."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.exceptions import PermissionDenied

from accounts.models import ApiKey, User, generate_api_key, hash_api_key
from accounts.quotas import reset_bucket
from accounts.selectors import api_key_active_count
from accounts.tiers import TIERS, tier_allows
from csm.api.errors import BadRequest, Conflict


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
            _("Your subscription is %(current)s; a %(wanted)s key needs a %(wanted)s "
              "subscription.") % {"current": TIERS[locked.tier].label,
                                  "wanted": TIERS[tier].label})
    allowed = TIERS[locked.tier].max_keys
    active = api_key_active_count(user=locked)  # expired keys free their slot
    if allowed is not None and active >= allowed:
        raise PermissionDenied(
            ngettext("The %(tier)s tier allows %(count)d active API key; revoke one or "
                     "upgrade your tier.",
                     "The %(tier)s tier allows %(count)d active API keys; revoke one or "
                     "upgrade your tier.", allowed)
            % {"tier": TIERS[locked.tier].label, "count": allowed})
    if expires_at is not None and expires_at <= timezone.now():
        raise PermissionDenied(_("expires_at must be in the future"))
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


# --- Users ------------------------------------------------------------------------------------

DELETION_GRACE = timedelta(hours=24)


def _username_taken(username: str) -> bool:
    return User.objects.filter(username=username).exists()


def _email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    """Create an account. `password` must already have passed validate_password.

    The username is lowercased; the email must be valid and not registered in any casing.
    """
    username = username.strip().lower()
    email = User.objects.normalize_email(email.strip())
    try:
        validate_email(email)
    except DjangoValidationError:
        raise BadRequest("invalid email") from None
    if _username_taken(username):
        raise BadRequest("username already taken")
    if _email_taken(email):
        raise BadRequest("email already registered")
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        # A concurrent registration took the username or email between check and insert.
        if _username_taken(username):
            raise BadRequest("username already taken") from None
        raise BadRequest("email already registered") from None


@transaction.atomic
def user_change_password(*, user: User, current_password: str, new_password: str) -> User:
    """Set a new password. `new_password` must already have passed validate_password.

    Changing the password changes the session auth hash, which ends the user's other sessions.
    """
    if not user.check_password(current_password):
        raise BadRequest("current password is incorrect")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return user


def _check_delete_confirmation(*, user: User, confirm: str) -> None:
    if confirm != f"DELETE {user.username}":
        raise BadRequest(f'confirm must equal "DELETE {user.username}"')


@transaction.atomic
def user_request_deletion(*, user: User, confirm: str, now: datetime | None = None) -> User:
    """Flag the account for deletion; it is purged once DELETION_GRACE has passed."""
    _check_delete_confirmation(user=user, confirm=confirm)
    now = now or timezone.now()
    updated = User.objects.filter(pk=user.pk, deletion_requested_at__isnull=True).update(
        deletion_requested_at=now)
    if updated != 1:
        raise Conflict("Account deletion already requested")
    user.deletion_requested_at = now
    return user


@transaction.atomic
def user_cancel_deletion(*, user: User) -> User:
    updated = User.objects.filter(pk=user.pk, deletion_requested_at__isnull=False).update(
        deletion_requested_at=None)
    if updated != 1:
        raise Conflict("No pending account deletion")
    user.deletion_requested_at = None
    return user


@transaction.atomic
def user_delete(*, user: User, confirm: str) -> None:
    """Hard-delete the user; owned rows go with it through on_delete=CASCADE."""
    _check_delete_confirmation(user=user, confirm=confirm)
    user.delete()


def user_purge_pending_deletions(*, now: datetime | None = None) -> int:
    """Hard-delete users whose deletion request is older than DELETION_GRACE; return how many.

    Each user is locked and re-checked before deletion so a concurrent cancel wins.
    """
    cutoff = (now or timezone.now()) - DELETION_GRACE
    ids = list(User.objects.filter(deletion_requested_at__lt=cutoff)
               .order_by("pk").values_list("pk", flat=True))
    purged = 0
    for pk in ids:
        with transaction.atomic():
            user = (User.objects.select_for_update()
                    .filter(pk=pk, deletion_requested_at__lt=cutoff).first())
            if user is not None:
                user.delete()
                purged += 1
    return purged


def user_alert_digest_set(*, user: User, enabled: bool) -> User:
    """Opt in to (or out of) the daily price-alert digest email."""
    User.objects.filter(pk=user.pk).update(alert_digest_opt_in=enabled)
    user.alert_digest_opt_in = enabled
    return user


def user_language_set(*, user: User, language: str) -> User:
    """Remember the language to write to the user in (emails, notifications). Unsupported
    codes are ignored."""
    if language not in {code for code, _name in settings.LANGUAGES} or language == user.language:
        return user
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user
