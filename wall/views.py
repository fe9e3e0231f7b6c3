"""HTTP views: the wall page, name availability and the health check."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors, services
from .sharedstore import get_redis, redis_enabled

logger = logging.getLogger(__name__)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The wall page; everything live arrives over the WebSocket."""
    return render(
        request,
        "wall/index.html",
        {
            "content_max": settings.WALL_CONTENT_MAX,
            "username_min": settings.WALL_USERNAME_MIN,
            "username_max": settings.WALL_USERNAME_MAX,
        },
    )


@require_GET
def username_availability(request: HttpRequest, username: str) -> JsonResponse:
    """Whether a name can be claimed: invalid names are a 200 with available false."""
    if services.username_problem(username):
        return JsonResponse({"username": username, "available": False, "reason": "invalid"})
    taken = selectors.username_is_taken(username=username)
    return JsonResponse({"username": username, "available": not taken, "reason": "taken" if taken else None})


def _database_ok() -> bool:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        logger.warning("health check: database unreachable")
        connection.close_if_unusable_or_obsolete()
        return False


async def _bus_ok() -> bool:
    """The bus between processes (Redis pub/sub) answers; always true for the in-process bus."""
    if not redis_enabled():
        return True
    try:
        return bool(await asyncio.wait_for(get_redis().ping(), timeout=3))
    except Exception:  # Any failure of the store means "down" here, whatever its client raises.
        logger.warning("health check: Redis unreachable", exc_info=True)
        return False


async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the bus (channel_layer in the contract) answer, else 503."""
    database = await sync_to_async(_database_ok)()
    layer = await _bus_ok()
    body = {"database": "ok" if database else "down", "channel_layer": "ok" if layer else "down"}
    return JsonResponse(body, status=200 if database and layer else 503)
