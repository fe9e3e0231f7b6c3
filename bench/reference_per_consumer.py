"""Reference (c): the tutorial's design, a group member per consumer, with its avoidable costs removed:
no per-message database hop (Channels' `aclose_old_connections` in `dispatch` and on disconnect) and
the frame relayed as received (pre-encoded). Run on the pub/sub layer under uvicorn websockets-sansio:

BENCH_CHANNEL_LAYER=pubsub DJANGO_SETTINGS_MODULE=bench.reference_channels_settings \
    uvicorn bench.reference_per_consumer:application --ws websockets-sansio --loop uvloop
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.reference_channels_settings")
django_asgi_app = get_asgi_application()

from channels.consumer import get_handler_name  # noqa: E402
from channels.exceptions import StopConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.reference_channels import ROOM, ChatConsumer  # noqa: E402


class MemberPerConsumer(ChatConsumer):
    """The tutorial consumer (a member of the room each), minus Channels' thread hops."""

    async def dispatch(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict) -> None:
        await self.channel_layer.group_discard(ROOM, self.channel_name)
        raise StopConsumer()


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/room/", MemberPerConsumer.as_asgi())]),
    }
)
