"""HTTP views: the wall page, name availability, image uploads and their files, and the health check."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import re

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe
from django.views.static import serve
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from . import images, metrics, selectors, services
from .db import database_sync_to_async
from .errors import WallError
from .live.store import shared_store

logger = logging.getLogger(__name__)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The wall page; everything live arrives over the WebSocket."""
    return render(
        request,
        "wall/index.html",
        {
            "content_max": settings.WALL_CONTENT_MAX,
            "edit_window": settings.WALL_EDIT_WINDOW,
            "username_min": settings.WALL_USERNAME_MIN,
            "username_max": settings.WALL_USERNAME_MAX,
            "image_max_bytes": settings.WALL_IMAGE_MAX_BYTES,
            "ping_after_ms": int(settings.WALL_PING_AFTER * 1000),
            "pong_within_ms": int(settings.WALL_PONG_WITHIN * 1000),
        },
    )


username_is_taken = database_sync_to_async(selectors.username_is_taken)
_SUGGESTION_TRIES = 20


@database_sync_to_async
def _free_variant(username: str) -> str | None:
    """A free name like a taken one, with a number added (Alice -> Alice2), or None."""
    base = username[: settings.WALL_USERNAME_MAX - 2]
    for number in range(2, 2 + _SUGGESTION_TRIES):
        candidate = f"{base}{number}"
        if not selectors.username_is_taken(username=candidate):
            return candidate
    return None


@require_GET
async def username_availability(request: HttpRequest, username: str) -> JsonResponse:
    """Whether a name can be claimed: invalid names are a 200 with available false; a taken one gets a
    free `suggestion`."""
    if services.username_problem(username):
        return JsonResponse({"username": username, "available": False, "reason": "invalid"})
    if not await username_is_taken(username=username):
        return JsonResponse({"username": username, "available": True, "reason": None})
    suggestion = await _free_variant(username)
    return JsonResponse(
        {"username": username, "available": False, "reason": "taken", "suggestion": suggestion}
    )


# Room for the multipart envelope around a file of WALL_IMAGE_MAX_BYTES.
_MULTIPART_SLACK = 64 * 1024
# The HTTP status of each refusal; any other code is a 400.
_STATUS = {"invalid_token": 403, "banned": 403, "too_large": 413, "rate_limited": 429, "unavailable": 503}


def http_status(error: WallError) -> int:
    """The HTTP status a refusal answers with, by its code (unavailable: a database that timed out)."""
    return _STATUS.get(error.code, 400)


# CSRF protection exists for requests a browser authenticates by itself, with cookies. This endpoint
# reads no cookie: the uploader is whoever the X-Wall-Token header names, and another site cannot make
# a browser send that header (a custom header needs a CORS preflight, which this site never grants),
# nor read the token from our localStorage. So a forged cross-site request is simply a 403.
@csrf_exempt
@require_POST
async def image_upload(request: HttpRequest) -> JsonResponse:
    """POST /api/images/: multipart field `file`, header X-Wall-Token; 201 {"id", "url"} (protocol.md).

    Parsing, Pillow and the database all run in a database thread (wall/db.py), off the event loop
    and off the one thread Django runs sync views on."""
    return await _image_upload(request)


@database_sync_to_async
def _image_upload(request: HttpRequest) -> JsonResponse:
    try:
        image = services.image_upload(uploader_id=_uploader(request).id, data=_one_file(request).read())
    except WallError as error:
        metrics.refused(error.code)
        return JsonResponse({"error": error.message}, status=http_status(error))
    return JsonResponse(image, status=201)


def _uploader(request: HttpRequest) -> services.Claim:
    token = request.headers.get("X-Wall-Token", "").strip()
    if not token or len(token) > 200:
        raise WallError("invalid_token", "Send the X-Wall-Token header with the token of your name.")
    return services.uploader_by_token(token=token)


def _one_file(request: HttpRequest) -> UploadedFile:
    """The one file of the multipart field `file`, refused early when it is too large."""
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > settings.WALL_IMAGE_MAX_BYTES + _MULTIPART_SLACK:
        raise images.too_large()
    try:
        files = request.FILES.getlist("file")
    except (MultiPartParserError, RequestDataTooBig, TooManyFilesSent, BadRequest):
        raise WallError("bad_request", "The upload is not a valid multipart/form-data body.") from None
    if len(files) != 1:
        raise WallError("bad_request", 'Send one image as the multipart/form-data field "file".')
    images.check_byte_size(files[0].size)
    return files[0]


# Only what services.image_upload writes can be served from MEDIA_ROOT: re-encoded images, with their
# type fixed by the extension it chose. Anything else that lands there (by hand, by a bug) is a 404.
_MEDIA_FILE = re.compile(r"images/[0-9]{4}/[0-9]{2}/[A-Za-z0-9_-]{1,80}\.(png|jpg|webp)")
_MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
# The same policy as the compose proxy's /media/: an image opened on its own runs nothing.
MEDIA_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


@require_safe
def media_file(request: HttpRequest, path: str) -> HttpResponse:
    """An uploaded image under MEDIA_ROOT, with its exact type and nosniff (any DJANGO_DEBUG)."""
    match = _MEDIA_FILE.fullmatch(path)
    if not match:
        raise Http404("No such image.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Type"] = _MEDIA_TYPES[match.group(1)]
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CONTENT_SECURITY_POLICY
    response["Cache-Control"] = "public, max-age=604800"
    return response


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


async def _shared_store_ok() -> bool:
    """The shared store answers (Redis, which the channel layer uses too); the in-process one always does."""
    try:
        return bool(await asyncio.wait_for(shared_store().ping(), timeout=3))
    except Exception:  # Any failure of the store means "down" here, whatever its client raises.
        logger.warning("health check: Redis unreachable", exc_info=True)
        return False


async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the shared store (`channel_layer` in the contract) answer, else 503."""
    # Like every database call from async code: in a database thread, stale connections closed around it.
    database = await database_sync_to_async(_database_ok)()
    store = await _shared_store_ok()
    body = {"database": "ok" if database else "down", "channel_layer": "ok" if store else "down"}
    return JsonResponse(body, status=200 if database and store else 503)


@require_GET
def metrics_export(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics of this process (wall.metrics), when WALL_METRICS=1: 404 otherwise; 401
    without the bearer token WALL_METRICS_TOKEN from an address outside WALL_METRICS_ALLOW; 403
    with a wrong one."""
    if not settings.WALL_METRICS:
        raise Http404("Metrics are off (WALL_METRICS).")
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    token = settings.WALL_METRICS_TOKEN
    if not (token and supplied and hmac.compare_digest(supplied, token)) and not _metrics_address_allowed(
        request.META.get("REMOTE_ADDR", "")
    ):
        if supplied:
            return HttpResponse("Wrong metrics token.\n", status=403, content_type="text/plain")
        response = HttpResponse("Send the metrics token: Authorization: Bearer ...\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def _metrics_address_allowed(address: str) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(allowed, strict=False) for allowed in settings.WALL_METRICS_ALLOW
    )
