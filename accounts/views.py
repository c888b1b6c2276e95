"""HTML views of accounts: the "My account" page with API key management."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language
from rest_framework.exceptions import PermissionDenied

from accounts.models import User
from accounts.selectors import api_key_active_count, api_key_list
from accounts.services import api_key_create, api_key_revoke, user_language_set
from accounts.tiers import TIERS, TierSlug, tier_allows


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("Something to recognise it by, like “price bot”."))
    tier = forms.ChoiceField(label=_("Tier"))

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Only tiers the user's subscription covers; the service enforces the same rule.
        self.fields["tier"].choices = [
            (slug, label) for slug, label in TierSlug.choices if tier_allows(user.tier, slug)]
        self.fields["tier"].initial = user.tier


class ApiKeyRevokeForm(forms.Form):
    key_id = forms.IntegerField(min_value=1)


def _error_text(exc: PermissionDenied) -> str:
    detail = exc.detail
    if isinstance(detail, list | tuple):
        return " ".join(str(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(str(item) for item in detail.values())
    return str(detail)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """Profile summary and API keys. A new key's full value is shown in this response only."""
    user: User = request.user
    create_form = ApiKeyCreateForm(user=user)
    new_key = None

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            create_form = ApiKeyCreateForm(request.POST, user=user)
            if create_form.is_valid():
                try:
                    key, raw = api_key_create(user=user, name=create_form.cleaned_data["name"],
                                              tier=create_form.cleaned_data["tier"])
                except PermissionDenied as exc:
                    messages.error(request, _error_text(exc))
                else:
                    new_key = {"key": key, "raw": raw}
                    create_form = ApiKeyCreateForm(user=user)
        elif action == "revoke":
            revoke_form = ApiKeyRevokeForm(request.POST)
            key = (api_key_list(user=user).filter(pk=revoke_form.cleaned_data["key_id"]).first()
                   if revoke_form.is_valid() else None)
            if key is None:
                messages.error(request, gettext("That API key does not exist."))
            else:
                api_key_revoke(key=key)
                messages.success(request, gettext("The API key “%(name)s” has been revoked.")
                                 % {"name": key.name})
            return redirect("account")
        else:
            messages.error(request, gettext("Unknown action."))
            return redirect("account")

    context = {
        "profile_user": user,
        "tier": TIERS[user.tier],
        "tier_label": TierSlug(user.tier).label,
        "keys": api_key_list(user=user),
        "active_key_count": api_key_active_count(user=user),
        "create_form": create_form,
        "new_key": new_key,
    }
    return render(request, "accounts/account.html", context)


@require_http_methods(["POST"])
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's language switch, and for a signed-in user the language their emails and
    notifications are written in from now on."""
    response = set_language(request)
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response
