"""/auth/*: register, login, logout, me, register-seller, change-password, account deletion.

Login and registration run before any session exists, so no authenticator checks their origin;
SameOriginWrite refuses them from foreign browser origins (login CSRF). Non-browser clients
send no Origin and need no CSRF token.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MinLengthValidator
from django.urls import re_path
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import USERNAME_VALIDATORS, User
from accounts.services import (
    DELETION_GRACE,
    user_cancel_deletion,
    user_change_password,
    user_delete,
    user_register,
    user_request_deletion,
)
from csm.api.authentication import CookieSessionAuthentication
from csm.api.errors import BadRequest
from csm.api.fields import StrictCharField
from csm.api.origin import cross_origin_reason
from csm.api.permissions import IsAuthenticated
from csm.api.validation import validate_body
from marketplace.services import country_code_valid, seller_register

LOGIN_BACKEND = "accounts.backends.UsernameOrEmailBackend"
# New passwords: generous for passphrases, bounded so hashing cannot be used to burn CPU.
NEW_PASSWORD_MAX_LENGTH = 128
# Existing passwords may predate that bound (accounts made through the HTML forms).
PASSWORD_MAX_LENGTH = 1024
EMAIL_MAX_LENGTH = 254


# --- Fields and input serializers --------------------------------------------------------------


class UsernameField(StrictCharField):
    """Lowercased before the length and character rules run."""

    def __init__(self, **kwargs: Any) -> None:
        # The model's MinLengthValidator would repeat DRF's own min_length message.
        validators = [v for v in USERNAME_VALIDATORS if not isinstance(v, MinLengthValidator)]
        super().__init__(min_length=3, max_length=30, validators=validators, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data).lower()


def _password_errors(password: str, user: User) -> list:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        return get_error_detail(exc)
    return []


class AuthRegisterIn(serializers.Serializer):
    username = UsernameField(help_text="3-30 characters: lowercase letters, digits, . - _ "
                                       "(input is lowercased)")
    email = StrictCharField(max_length=EMAIL_MAX_LENGTH)
    password = StrictCharField(max_length=NEW_PASSWORD_MAX_LENGTH, trim_whitespace=False,
                               help_text="At least 8 characters, not entirely numeric")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = _password_errors(attrs["password"],
                                  User(username=attrs["username"], email=attrs["email"]))
        if errors:
            raise serializers.ValidationError({"password": errors})
        return attrs


class AuthRegisterSellerIn(AuthRegisterIn):
    display_name = StrictCharField(max_length=60, required=False, allow_blank=True,
                                   allow_null=True, default="")
    country = StrictCharField(required=False, allow_blank=True, allow_null=True, default="",
                              help_text="ISO 3166-1 alpha-2 code, any casing; stored upper-case")

    def validate_display_name(self, value: str | None) -> str:
        return value or ""

    def validate_country(self, value: str | None) -> str:
        if not value:
            return ""
        if not country_code_valid(value):
            raise serializers.ValidationError("not an ISO 3166-1 alpha-2 country code",
                                              code="invalid_country")
        return value.upper()


class AuthLoginIn(serializers.Serializer):
    username = StrictCharField(required=False, max_length=EMAIL_MAX_LENGTH,
                               help_text="Username or email address")
    email = StrictCharField(required=False, max_length=EMAIL_MAX_LENGTH,
                            help_text="Alternative to username")
    password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class AuthChangePasswordIn(serializers.Serializer):
    current_password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)
    new_password = StrictCharField(max_length=NEW_PASSWORD_MAX_LENGTH, trim_whitespace=False,
                                   help_text="At least 8 characters, not entirely numeric")

    def validate_new_password(self, value: str) -> str:
        errors = _password_errors(value, self.context["request"].user)
        if errors:
            raise serializers.ValidationError(errors)
        return value


class AuthConfirmIn(serializers.Serializer):
    confirm = StrictCharField(trim_whitespace=False, help_text='Must equal "DELETE <username>"')


# --- Output serializers ------------------------------------------------------------------------


class AuthOkOut(serializers.Serializer):
    ok = serializers.BooleanField()


class AuthUserOut(AuthOkOut):
    user_id = serializers.IntegerField()
    username = serializers.CharField()


class AuthSellerOut(AuthUserOut):
    is_seller = serializers.BooleanField()
    display_name = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, or empty")


class AuthMeOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    is_admin = serializers.BooleanField()
    is_seller = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    tier = serializers.CharField()
    deletion_requested_at = serializers.DateTimeField(allow_null=True)


class AuthDeletionRequestedOut(AuthOkOut):
    deletion_requested_at = serializers.DateTimeField()
    delete_after = serializers.DateTimeField()


class AuthErrorOut(serializers.Serializer):
    detail = serializers.CharField()


class _AuthErrorItemOut(serializers.Serializer):
    loc = serializers.ListField(child=serializers.CharField())
    msg = serializers.CharField()
    type = serializers.CharField()


class AuthValidationErrorOut(serializers.Serializer):
    detail = _AuthErrorItemOut(many=True)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(AuthErrorOut, description=description)


_UNPROCESSABLE = OpenApiResponse(AuthValidationErrorOut, description="Field validation failed")
_UNAUTHENTICATED = _error("Not authenticated")
_CSRF = _error("CSRF check failed: cross-origin browser request")
_BAD_CONFIRM = _error('confirm must equal "DELETE <username>"')


def _auth_body(user: User) -> dict[str, Any]:
    return AuthUserOut({"ok": True, "user_id": user.pk, "username": user.username}).data


# --- Views -------------------------------------------------------------------------------------


class SameOriginWrite(BasePermission):
    """Refuse unsafe requests that a browser labels as coming from a foreign origin."""

    def has_permission(self, request: Request, view: object) -> bool:
        if request.method not in SAFE_METHODS:
            reason = cross_origin_reason(request)
            if reason:
                raise exceptions.PermissionDenied(f"CSRF check failed: {reason}")
        return True


class AnonymousAuthView(APIView):
    """Endpoints used before there is a session: credentials in the body, nothing else."""

    authentication_classes: list = []
    permission_classes = [SameOriginWrite]

    def get_authenticate_header(self, request: Request) -> str:
        # Without it DRF would turn "Invalid username or password" into a 403.
        return 'Bearer realm="api"'


class SessionAuthView(APIView):
    permission_classes = [IsAuthenticated]


class RegisterView(AnonymousAuthView):
    @extend_schema(
        tags=["auth"], summary="Create a new user account", request=AuthRegisterIn,
        responses={201: AuthUserOut,
                   400: _error("Missing field, username already taken, invalid email or "
                               "email already registered"),
                   403: _CSRF, 422: _UNPROCESSABLE},
    )
    def post(self, request: Request) -> Response:
        data = validate_body(AuthRegisterIn, request,
                             missing_message="username, email, and password required")
        user = user_register(**data)
        login(request, user, backend=LOGIN_BACKEND)
        return Response(_auth_body(user), status=status.HTTP_201_CREATED)


class RegisterSellerView(AnonymousAuthView):
    @extend_schema(
        tags=["auth"], summary="Register and immediately become a seller",
        request=AuthRegisterSellerIn,
        responses={201: AuthSellerOut,
                   400: _error("As /auth/register"), 403: _CSRF, 422: _UNPROCESSABLE},
    )
    def post(self, request: Request) -> Response:
        data = validate_body(AuthRegisterSellerIn, request,
                             missing_message="username, email, and password required")
        profile = seller_register(**data)
        user = profile.user
        login(request, user, backend=LOGIN_BACKEND)
        body = AuthSellerOut({
            "ok": True, "user_id": user.pk, "username": user.username,
            "is_seller": user.is_seller, "display_name": profile.display_name,
            "country": profile.country,
        }).data
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(AnonymousAuthView):
    @extend_schema(
        tags=["auth"], summary="Log in with username or email",
        description="Sets the tcg_session cookie; the session key is always rotated.",
        request=AuthLoginIn,
        responses={200: AuthUserOut, 400: _error("username and password required"),
                   401: _error("Invalid username or password"), 403: _CSRF,
                   422: _UNPROCESSABLE},
    )
    def post(self, request: Request) -> Response:
        missing = "username and password required"
        data = validate_body(AuthLoginIn, request, missing_message=missing)
        ident = data.get("username") or data.get("email")
        if not ident:
            raise BadRequest(missing)
        user = authenticate(request._request, username=ident, password=data["password"])
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid username or password")
        # login() keeps the key when the same user is already signed in; rotate regardless.
        request.session.cycle_key()
        login(request, user)
        return Response(_auth_body(user))


class LogoutView(SessionAuthView):
    @extend_schema(tags=["auth"], summary="Log out and clear the session cookie", request=None,
                   responses={200: AuthOkOut, 401: _UNAUTHENTICATED, 403: _CSRF})
    def post(self, request: Request) -> Response:
        logout(request)
        return Response(AuthOkOut({"ok": True}).data)


class MeView(SessionAuthView):
    @extend_schema(tags=["auth"], summary="Current user info",
                   responses={200: AuthMeOut, 401: _UNAUTHENTICATED})
    def get(self, request: Request) -> Response:
        return Response(AuthMeOut(request.user).data)


class ChangePasswordView(SessionAuthView):
    @extend_schema(
        tags=["auth"], summary="Change password",
        description="Keeps this session signed in and ends the user's other sessions.",
        request=AuthChangePasswordIn,
        responses={200: AuthOkOut, 400: _error("Missing field or current password is incorrect"),
                   401: _UNAUTHENTICATED, 403: _CSRF, 422: _UNPROCESSABLE},
    )
    def post(self, request: Request) -> Response:
        data = validate_body(AuthChangePasswordIn, request,
                             missing_message="current_password and new_password required")
        user = user_change_password(user=request.user, **data)
        if isinstance(request.successful_authenticator, CookieSessionAuthentication):
            update_session_auth_hash(request, user)
        return Response(AuthOkOut({"ok": True}).data)


def _confirm(request: Request) -> str:
    message = f'confirm must equal "DELETE {request.user.username}"'
    return validate_body(AuthConfirmIn, request, missing_message=message)["confirm"]


class DeleteRequestView(SessionAuthView):
    @extend_schema(
        tags=["auth"], summary="Request soft account deletion (24h cooldown)",
        request=AuthConfirmIn,
        responses={200: AuthDeletionRequestedOut, 400: _BAD_CONFIRM, 401: _UNAUTHENTICATED,
                   403: _CSRF,
                   409: _error("Account deletion already requested"), 422: _UNPROCESSABLE},
    )
    def post(self, request: Request) -> Response:
        user = user_request_deletion(user=request.user, confirm=_confirm(request))
        requested = user.deletion_requested_at
        return Response(AuthDeletionRequestedOut({
            "ok": True, "deletion_requested_at": requested,
            "delete_after": requested + DELETION_GRACE,
        }).data)


class DeleteCancelView(SessionAuthView):
    @extend_schema(tags=["auth"], summary="Cancel a pending soft deletion", request=None,
                   responses={200: AuthOkOut, 401: _UNAUTHENTICATED, 403: _CSRF,
                              409: _error("No pending account deletion")})
    def post(self, request: Request) -> Response:
        user_cancel_deletion(user=request.user)
        return Response(AuthOkOut({"ok": True}).data)


class _DeleteBodySchema(AutoSchema):
    """drf-spectacular documents bodies only for POST/PUT/PATCH; DELETE /auth/account has one."""

    def _get_request_body(self, direction: str = "request") -> Any:
        method, self.method = self.method, "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = method


class AccountView(SessionAuthView):
    schema = _DeleteBodySchema()

    @extend_schema(
        tags=["auth"], summary="Permanently delete the account",
        description="Hard delete of the user and every row they own; ends the session.",
        request=AuthConfirmIn,
        responses={204: None, 400: _BAD_CONFIRM,
                   401: _UNAUTHENTICATED, 403: _CSRF, 422: _UNPROCESSABLE},
    )
    def delete(self, request: Request) -> Response:
        user_delete(user=request.user, confirm=_confirm(request))
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _route(path: str, view: type[APIView], name: str) -> Any:
    """`path` with an optional trailing slash. Written `(?:/)?` rather than `/?` so the schema
    shows the path as the contract spells it, without the slash."""
    return re_path(rf"^{path}(?:/)?$", view.as_view(), name=name)


urlpatterns = [
    _route("auth/register", RegisterView, "auth-register"),
    _route("auth/register-seller", RegisterSellerView, "auth-register-seller"),
    _route("auth/login", LoginView, "auth-login"),
    _route("auth/logout", LogoutView, "auth-logout"),
    _route("auth/me", MeView, "auth-me"),
    _route("auth/change-password", ChangePasswordView, "auth-change-password"),
    _route("auth/account/delete-request", DeleteRequestView, "auth-delete-request"),
    _route("auth/account/delete-cancel", DeleteCancelView, "auth-delete-cancel"),
    _route("auth/account", AccountView, "auth-account"),
]
