"""Access tags of the contract: auth, starter+, pro+, admin."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import ApiKey
from accounts.tiers import TIERS, tier_allows


def request_tier(request: Request) -> str:
    """The tier a request acts with: its API key's, else the signed-in user's subscription."""
    if isinstance(request.auth, ApiKey):
        return request.auth.tier
    return getattr(request.user, "tier", "free")


def _require_login(request: Request) -> None:
    if not (request.user and request.user.is_authenticated):
        raise exceptions.NotAuthenticated()


class IsAuthenticated(BasePermission):
    """`auth`: a session cookie or an API key."""

    def has_permission(self, request: Request, view: object) -> bool:
        _require_login(request)
        return True


class IsAdmin(BasePermission):
    """`admin`: the account has is_admin (Django staff)."""

    def has_permission(self, request: Request, view: object) -> bool:
        _require_login(request)
        if not request.user.is_staff:
            raise exceptions.PermissionDenied("Admin access required")
        return True


def RequireTier(minimum: str, *, session_passes: bool = False) -> type[BasePermission]:  # noqa: N802
    """`starter+` (session cookies pass, per the spec's legend) or `pro+` gating."""
    label = TIERS[minimum].label

    class _RequireTier(BasePermission):
        def has_permission(self, request: Request, view: object) -> bool:
            _require_login(request)
            if session_passes and not isinstance(request.auth, ApiKey):
                return True
            tier = request_tier(request)
            if not tier_allows(tier, minimum):
                raise exceptions.PermissionDenied(
                    f"This endpoint requires the {label} tier or higher; "
                    f"your {'API key' if isinstance(request.auth, ApiKey) else 'account'} "
                    f"is on the {TIERS[tier].label} tier.")
            return True

    _RequireTier.__name__ = f"Require{minimum.title()}Tier"
    return _RequireTier


StarterPlus = RequireTier("starter", session_passes=True)
ProPlus = RequireTier("pro")
