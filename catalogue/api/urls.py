"""Catalogue API routes, included last at the URL root.

`/{tcg_slug}/…` takes any first path segment, except `api` and the language prefixes: those
belong to other routes (a mistyped `/api/sets/1` is a plain JSON 404, and `/en/cards/` stays
the localised page's).
"""

from django.conf import settings
from django.urls import re_path

from catalogue.api import views

_RESERVED = "|".join(["api", *(code for code, _name in settings.LANGUAGES)])
TCG = rf"(?P<tcg_slug>(?!(?:{_RESERVED})/)[-\w]+)"
ID = r"\d{1,18}"  # longer numbers cannot be ids; they are a 404, not a database error

urlpatterns = [
    re_path(r"^tcgs/?$", views.TcgListView.as_view(), name="api-tcgs"),
    re_path(r"^tcgs/(?P<slug>[-\w]+)/?$", views.TcgDetailView.as_view(), name="api-tcg"),
    re_path(rf"^api/sets/(?P<set_id>{ID})/stats/?$", views.SetStatsView.as_view(),
            name="api-set-stats"),
    re_path(rf"^api/sets/(?P<set_id>{ID})/top-cards/?$", views.SetTopCardsView.as_view(),
            name="api-set-top-cards"),
    re_path(r"^api/recent-cards/?$", views.RecentCardsView.as_view(), name="api-recent-cards"),
    re_path(r"^api/new-cards/?$", views.NewCardsView.as_view(), name="api-new-cards"),
    re_path(r"^api/compare/?$", views.CompareView.as_view(), name="api-compare"),
    re_path(r"^api/search/?$", views.SearchView.as_view(), name="api-search"),
    re_path(rf"^api/cards/(?P<card_id>{ID})/marketplace-urls/?$",
            views.MarketplaceUrlsView.as_view(), name="api-card-marketplace-urls"),
    re_path(rf"^api/cards/(?P<card_id>{ID})/evolution-chain/?$",
            views.EvolutionChainView.as_view(), name="api-card-evolution-chain"),
    re_path(r"^cards/top/?$", views.TopCardsView.as_view(), name="api-cards-top"),
    re_path(rf"^{TCG}/sets/?$", views.SetListView.as_view(), name="api-sets"),
    re_path(rf"^{TCG}/sets/(?P<set_id>{ID})/?$", views.SetDetailView.as_view(),
            name="api-set"),
    re_path(rf"^{TCG}/cards/?$", views.CardListView.as_view(), name="api-cards"),
    re_path(rf"^{TCG}/cards/(?P<card_id>{ID})/?$", views.CardDetailView.as_view(),
            name="api-card"),
    re_path(rf"^{TCG}/sealed/?$", views.SealedListView.as_view(), name="api-sealed-list"),
    re_path(rf"^{TCG}/sealed/(?P<product_id>{ID})/?$", views.SealedDetailView.as_view(),
            name="api-sealed"),
]
