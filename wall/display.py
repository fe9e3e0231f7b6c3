"""The big-screen view (/display/): the wall for a projector, with a QR code to join from a phone."""

from __future__ import annotations

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET


def join_address(request: HttpRequest) -> str:
    """The address people type, without the scheme: http://wall.example.org/ -> wall.example.org."""
    url = request.build_absolute_uri(reverse("index"))
    return url.split("://", 1)[1].rstrip("/")


@require_GET
def display(request: HttpRequest) -> HttpResponse:
    """Posts only, large, newest at the bottom; the QR code is an SVG data: URL made on the server."""
    url = request.build_absolute_uri(reverse("index"))
    qr = segno.make(url, error="m")
    return render(
        request,
        "wall/display.html",
        {
            "join_url": url,
            "join_address": join_address(request),
            "qr_data_uri": qr.svg_data_uri(scale=8, border=2, dark="#000000", light="#ffffff"),
        },
    )
