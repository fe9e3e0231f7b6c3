"""The moderators' door after too many failed logins (django-axes): the page /admin/login/ answers
with while locked out. (The same rule for the page's moderator actions: wall.moderation.)"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def cooloff_minutes() -> int:
    """The lockout's length in whole minutes (AXES_COOLOFF_TIME, from WALL_LOGIN_COOLOFF)."""
    return math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)


def locked_out(request: HttpRequest, response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: a 429 page saying why and for how long (django-axes
    logs the lockout itself, as a WARNING of `axes.handlers.database`)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": cooloff_minutes(),
        "title": "Locked out",
    }
    return render(request, "admin/locked_out.html", context, status=429)
