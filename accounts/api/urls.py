"""API routes of accounts: /auth/*, API keys and developer info, push devices."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.auth")),
    path("", include("accounts.api.keys")),
    path("", include("accounts.api.devices")),
]
