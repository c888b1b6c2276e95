"""Catalogue pages (inside i18n_patterns: /en/…, /nl/…).

Paths mirror the API's where the spec has them (`<tcg>/sets/`, `<tcg>/sets/<id>/`,
`<tcg>/cards/`, `<tcg>/cards/<id>/`, `cards/top/`), so a browser asking for the unprefixed API
path is sent to the localised page by csm.middleware. Those also answer without the trailing
slash, as the API's paths are written without one; links use the slashed form.
"""

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import URLPattern, path, re_path

from catalogue import views

app_name = "catalogue"

TCG = r"(?P<tcg_slug>[-a-zA-Z0-9_]+)"
ID = r"[0-9]{1,18}"  # longer numbers cannot be ids: a 404, not a database error


def slash_optional(route: str, view: Callable[..., HttpResponse], name: str
                   ) -> list[URLPattern]:
    """`route/` (named, used for links) and `route` (as the API writes it)."""
    return [re_path(rf"^{route}/$", view, name=name), re_path(rf"^{route}$", view)]


urlpatterns = [
    path("tcgs/", views.tcg_index, name="tcgs"),
    path("tcgs/<slug:slug>/", views.tcg_detail, name="tcg"),
    path("search/", views.search, name="search"),
    *slash_optional("cards/top", views.cards_top, "cards-top"),
    *slash_optional(rf"{TCG}/sets", views.tcg_detail_by_tcg_slug, "tcg-sets"),
    *slash_optional(rf"{TCG}/sets/(?P<set_id>{ID})", views.set_detail, "set"),
    *slash_optional(rf"{TCG}/cards", views.tcg_cards, "tcg-cards"),
    *slash_optional(rf"{TCG}/cards/(?P<card_id>{ID})", views.card_detail, "card"),
]
