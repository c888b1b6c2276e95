"""Push-notification devices (FCM / APNs tokens): register on login, unregister on logout."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Device, User


def device_register(*, user: User, platform: str, token: str,
                    app_version: str = "") -> tuple[Device, bool]:
    """Upsert by token: a token is one phone, so it moves to `user` if someone else had it.

    Returns (device, created).
    """
    with transaction.atomic():
        return Device.objects.update_or_create(
            token=token,
            defaults={"user": user, "platform": platform, "app_version": app_version or ""},
        )


def device_unregister(*, user: User, token: str) -> bool:
    """Delete `user`'s registration of `token`; False if the token is not theirs."""
    deleted, _ = Device.objects.filter(user=user, token=token).delete()
    return deleted > 0
