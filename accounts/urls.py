"""HTML pages of accounts (inside i18n_patterns). allauth serves sign-up, log-in and friends."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("account/", views.account, name="account"),
]
