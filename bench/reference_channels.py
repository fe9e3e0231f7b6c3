"""Reference (a): the Channels tutorial's chat consumer on the Redis layer, one group, no database.

Run: DJANGO_SETTINGS_MODULE=bench.reference_channels_settings daphne bench.reference_channels:application
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.reference_channels_settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

ROOM = "room"


class ChatConsumer(AsyncWebsocketConsumer):
    """Joins the room on connect; every frame received goes to the room; the room's frames go out."""

    async def connect(self) -> None:
        await self.channel_layer.group_add(ROOM, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(ROOM, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None:
            await self.channel_layer.group_send(ROOM, {"type": "chat.message", "text": text_data})

    async def chat_message(self, event: dict) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/room/", ChatConsumer.as_asgi())]),
    }
)
