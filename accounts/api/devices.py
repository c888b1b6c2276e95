"""Push-notification device registration: POST / DELETE /api/devices/register."""

from __future__ import annotations

from django.urls import re_path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.devices import device_register, device_unregister
from accounts.models import Device
from csm.api.permissions import IsAuthenticated
from csm.api.validation import validate_body

ERROR = OpenApiResponse(description='`{"detail": "..."}`')


class DeviceRegisterIn(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Device.Platform.values)
    token = serializers.CharField(max_length=512)
    app_version = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                        allow_null=True)


class DeviceUnregisterIn(serializers.Serializer):
    token = serializers.CharField(max_length=512)


class DeviceOut(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "platform", "token", "app_version", "created_at", "updated_at"]


class DeviceRegisterView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["devices"], summary="Register / refresh push token",
                   description="Upsert by token: 201 when new, 200 when refreshed. A token "
                               "registered by another account moves to the caller.",
                   request=DeviceRegisterIn,
                   responses={201: DeviceOut, 200: DeviceOut, 400: ERROR, 401: ERROR,
                              422: ERROR})
    def post(self, request: Request) -> Response:
        data = validate_body(DeviceRegisterIn, request)
        device, created = device_register(user=request.user, platform=data["platform"],
                                          token=data["token"],
                                          app_version=data.get("app_version") or "")
        return Response(DeviceOut(device).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(tags=["devices"], summary="Unregister push token (on logout)",
                   description='JSON body `{"token": "..."}`. 404 when the token is not '
                               "registered to the caller.",
                   request=DeviceUnregisterIn,
                   responses={204: None, 400: ERROR, 401: ERROR, 404: ERROR})
    def delete(self, request: Request) -> Response:
        data = validate_body(DeviceUnregisterIn, request)
        if not device_unregister(user=request.user, token=data["token"]):
            raise NotFound("Device not found")
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    re_path(r"^api/devices/register/?$", DeviceRegisterView.as_view(),
            name="api-devices-register"),
]
