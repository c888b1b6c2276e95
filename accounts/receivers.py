"""Account signal receivers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation

from accounts.models import User
from accounts.services import user_language_set


@receiver(user_logged_in, dispatch_uid="accounts.language_remember")
def language_remember(sender: Any, request: HttpRequest | None, user: User,
                      **kwargs: Any) -> None:
    """An account without a language (new, or made through the API) takes the language of
    its first sign-in — the sign-up page's too, which signs the new user in."""
    if request is not None and not user.language:
        user_language_set(user=user, language=translation.get_language() or "")
