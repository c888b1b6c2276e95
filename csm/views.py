from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.static import serve

from csm.selectors import platform_tcg_totals, platform_totals


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def stats(request: HttpRequest) -> HttpResponse:
    """The numbers of /api/stats and /api/stats/detailed as a page."""
    return render(request, "stats.html",
                  {"counts": platform_totals(), "tcgs": platform_tcg_totals()})


def media(request: HttpRequest, path: str) -> HttpResponse:
    """MEDIA_ROOT for the embedded server (serve() refuses path traversal)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
