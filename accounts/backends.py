from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the username or the email address (both case-insensitive)."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs) -> object | None:  # noqa: ANN003
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        user_model = get_user_model()
        ident = username.strip()
        field = "email__iexact" if "@" in ident else "username"
        value = ident if "@" in ident else ident.lower()
        try:
            user = user_model._default_manager.get(**{field: value})
        except user_model.DoesNotExist:
            user_model().set_password(password)  # equalise timing with the found-user path
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
