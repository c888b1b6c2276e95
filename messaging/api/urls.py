"""Messaging API routes, included at the URL root before pricing's `/api/notifications/…`."""

from django.urls import include, path

urlpatterns = [
    path("", include("messaging.api.notifications")),
]
