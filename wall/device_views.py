"""HTTP views for a name on several devices: a one-use code with its QR link, and a recovery code.

Both are asked for with the name's token in X-Wall-Token, like image uploads (wall.views): no
cookie, so no CSRF to guard against. The code itself is redeemed over the socket (`join` `code`).
"""

from __future__ import annotations

import segno
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import metrics, services
from .db import database_sync_to_async
from .errors import WallError
from .live.throttle import throttle_take
from .rates import configured_rate
from .views import http_status

participant_by_token = database_sync_to_async(services.participant_by_token)
device_code_create = database_sync_to_async(services.device_code_create)
recovery_code_create = database_sync_to_async(services.recovery_code_create)


async def _owner(request: HttpRequest) -> services.Claim:
    """Who asks, by X-Wall-Token; a banned name gets no code. Codes are rate-limited per
    participant in the shared store (WALL_DEVICE_CODE_RATE), so every process counts."""
    token = request.headers.get("X-Wall-Token", "")
    if not token or len(token) > 200:
        raise WallError("invalid_token", "Send the X-Wall-Token header with the token of your name.")
    claim = await participant_by_token(token=token)
    claim.refuse_if_banned()
    await throttle_take(
        scope="device_codes", subject=str(claim.id), rate=configured_rate("WALL_DEVICE_CODE_RATE")
    )
    return claim


def _refusal(error: WallError) -> JsonResponse:
    metrics.refused(error.code)
    body: dict[str, object] = {"code": error.code, "error": error.message, **error.extra}
    return JsonResponse(body, status=http_status(error))


@csrf_exempt
@require_POST
async def device_code(request: HttpRequest) -> JsonResponse:
    """POST /api/devices/code: 201 {"code": "K7QF-3M9X", "url", "qr", "expires_at"}; the QR code
    (an SVG data: URL, made here with segno) opens `url`, which carries the code."""
    try:
        claim = await _owner(request)
        grant = await device_code_create(participant_id=claim.id)
    except WallError as error:
        return _refusal(error)
    url = request.build_absolute_uri(reverse("index")) + "?code=" + grant.code.replace("-", "")
    qr = segno.make(url, error="m").svg_data_uri(scale=6, border=2, dark="#000000", light="#ffffff")
    body = {"code": grant.code, "url": url, "qr": qr, "expires_at": grant.expires_at.isoformat()}
    return JsonResponse(body, status=201)


@csrf_exempt
@require_POST
async def recovery_code(request: HttpRequest) -> JsonResponse:
    """POST /api/devices/recovery: 201 {"code": "XXXX-XXXX-XXXX-XXXX"}, shown once, stored hashed;
    it replaces the one before. Entered like a device code, it works until replaced."""
    try:
        claim = await _owner(request)
        code = await recovery_code_create(participant_id=claim.id)
    except WallError as error:
        return _refusal(error)
    return JsonResponse({"code": code}, status=201)
