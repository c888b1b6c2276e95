"""Test-only URLs: tiny views exercising the API conventions (access tags, paging, parsing).

Used with `@pytest.mark.urls("accounts.tests.gating_urls")`; the API-key endpoints are
included too so limiter tests can mix both.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import include, path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from csm.api.pagination import pagination
from csm.api.permissions import IsAdmin, IsAuthenticated, ProPlus, StarterPlus
from csm.api.validation import validate_body, validate_query


class _Echo(APIView):
    def get(self, request: Request) -> Response:
        user = request.user
        return Response({"ok": True, "user": user.username if user.is_authenticated else None})


class PublicView(_Echo):
    pass


class AuthView(_Echo):
    permission_classes = [IsAuthenticated]


class StarterView(_Echo):
    permission_classes = [StarterPlus]


class ProView(_Echo):
    permission_classes = [ProPlus]


class AdminView(_Echo):
    permission_classes = [IsAdmin]


class UserOut(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class UserListView(ListAPIView):
    serializer_class = UserOut
    pagination_class = pagination(10, 20)

    def get_queryset(self) -> QuerySet[User]:
        return User.objects.order_by("pk")


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=50)
    min_price = serializers.DecimalField(max_digits=8, decimal_places=2, required=False)


class ThingIn(serializers.Serializer):
    name = serializers.CharField(max_length=20)
    quantity = serializers.IntegerField(min_value=1, max_value=10, required=False)
    condition = serializers.ChoiceField(choices=["mint", "played"], required=False)


class ParseView(APIView):
    def get(self, request: Request) -> Response:
        params = validate_query(SearchQuery, request)
        return Response({k: str(v) for k, v in params.items()})

    def post(self, request: Request) -> Response:
        return Response(validate_body(ThingIn, request), status=201)


urlpatterns = [
    path("t/public", PublicView.as_view()),
    path("t/auth", AuthView.as_view()),
    path("t/starter", StarterView.as_view()),
    path("t/pro", ProView.as_view()),
    path("t/admin", AdminView.as_view()),
    path("t/users", UserListView.as_view()),
    path("t/parse", ParseView.as_view()),
    path("", include("accounts.api.keys")),
]

handler404 = "csm.errors.page_not_found"
handler500 = "csm.errors.server_error"
