"""`manage.py wall_notice "text"`: show an operator's notice on every open wall (not stored)."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.management.base import BaseCommand, CommandError

from wall.live.member import GROUP, NOTICE
from wall.protocol import notice_event


class Command(BaseCommand):
    help = "Show a short notice on every open wall, in every server process (not stored)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("text", help="the notice, 1 to 500 characters")

    def handle(self, *args, text: str, **options) -> None:
        try:
            notice_event(text)
        except ValueError as error:
            raise CommandError(f"Not sent: {error}.") from None
        layer = get_channel_layer()
        if layer is None or isinstance(layer, InMemoryChannelLayer):
            raise CommandError(
                "Not sent: the in-memory channel layer lives inside the server process. Set REDIS_URL "
                "(the server's too) so that this command reaches the open walls."
            )
        # Channels' standard API, as any Django code may use it (docs/protocol.md, `notice`).
        async_to_sync(layer.group_send)(GROUP, {"type": NOTICE, "text": text})
        self.stdout.write("Notice sent to every open wall.")
