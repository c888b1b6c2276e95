"""Writes for the marketplace. Every service is keyword-only and atomic."""

from __future__ import annotations

from django.db import transaction
from django_countries import countries

from accounts.models import User
from accounts.services import user_register
from csm.api.errors import Conflict
from marketplace.models import SellerProfile


def country_code_valid(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code, any casing."""
    return code.upper() in countries


@transaction.atomic
def seller_profile_create(*, user: User, display_name: str = "",
                          country: str = "") -> SellerProfile:
    """Make `user` a seller. `country` is empty or a code accepted by country_code_valid()."""
    country = country.upper()
    if country and not country_code_valid(country):
        raise ValueError(f"unknown country code {country!r}")
    User.objects.select_for_update().filter(pk=user.pk).get()  # one profile per user, even racing
    if SellerProfile.objects.filter(user=user).exists():
        raise Conflict("Already a seller")
    profile = SellerProfile.objects.create(user=user, display_name=display_name, country=country)
    User.objects.filter(pk=user.pk).update(is_seller=True)
    user.is_seller = True
    return profile


@transaction.atomic
def seller_register(*, username: str, email: str, password: str, display_name: str = "",
                    country: str = "") -> SellerProfile:
    """Create a user and their seller profile together: either both exist afterwards or neither."""
    user = user_register(username=username, email=email, password=password)
    return seller_profile_create(user=user, display_name=display_name, country=country)
