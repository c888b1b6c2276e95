"""Site-wide error views: JSON for API paths, a localised HTML page for pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def _is_page(request: HttpRequest) -> bool:
    prefixes = tuple(f"/{code}/" for code, _name in settings.LANGUAGES)
    return request.path_info.startswith(prefixes) or request.path_info.startswith("/admin/")


def _respond(request: HttpRequest, status: int, detail: str, template: str) -> HttpResponse:
    if _is_page(request):
        return render(request, template, {"status": status, "detail": detail}, status=status)
    return JsonResponse({"detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 400, "Bad request", "errors/error.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 403, "Forbidden", "errors/error.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 404, "Not found", "errors/error.html")


def server_error(request: HttpRequest) -> HttpResponse:
    return _respond(request, 500, "Internal server error", "errors/error.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_page(request):
        return render(request, "errors/error.html",
                      {"status": 403, "detail": "CSRF verification failed"}, status=403)
    return JsonResponse({"detail": f"CSRF check failed: {reason}"}, status=403)
