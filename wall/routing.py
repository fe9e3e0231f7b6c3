"""WebSocket routes: the wall, the admin dashboard, and a plain refusal for every other path."""

from channels.auth import AuthMiddlewareStack
from channels.sessions import CookieMiddleware
from django.urls import re_path

from .consumers import WallConsumer
from .dashboard import DashboardConsumer


async def no_such_socket(scope: dict, receive, send) -> None:
    """Refuse a handshake to a path with no socket (a probe, a client of another app) with a close
    before accept, which every server answers 403. Without this route Channels' router raises
    "No route found" and the server answers 500 with an ERROR traceback. Not ASGI's denial response
    (a 404): uvicorn 0.54's websockets-sansio logs an ERROR after sending one."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 1000})


websocket_urlpatterns = [
    # Without the trailing slash too: a hand-written client's natural spelling.
    # The session cookie says whether the socket is a moderator's: wall.moderation.page_moderator
    # loads it when asked. Not AuthMiddlewareStack: its user lookup is a database-thread trip on
    # every connect, and its session wrapper runs on every frame sent (docs/decisions.md).
    re_path(r"^ws/wall/?$", CookieMiddleware(WallConsumer.as_asgi())),
    # Staff only: the Django session says who is connecting (the admin's login).
    re_path(r"^ws/admin/dashboard/$", AuthMiddlewareStack(DashboardConsumer.as_asgi())),
    re_path(r"", no_such_socket),
]
