"""The registry of this process's sockets: their writers, who joined as whom, and which address
each counts against. Only this process's own sockets: who is online across processes is decided in
the shared store (wall.live.presence)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .loops import per_loop
from .writer import Envelope, SocketWriter

logger = logging.getLogger(__name__)


@dataclass
class Registry:
    """This process's sockets on one event loop (one loop per process in production)."""

    writers: dict[str, SocketWriter] = field(default_factory=dict)  # socket id → writer
    joined: dict[str, tuple[str, str]] = field(default_factory=dict)  # socket id → (user id, name)
    counted: dict[str, str] = field(default_factory=dict)  # socket id → client address

    def add(self, writer: SocketWriter, address: str | None) -> None:
        self.writers[writer.socket_id] = writer
        if address is not None:
            self.counted[writer.socket_id] = address

    def discard(self, socket_id: str) -> None:
        self.writers.pop(socket_id, None)
        self.joined.pop(socket_id, None)
        self.counted.pop(socket_id, None)

    def join(self, socket_id: str, user_id: str, username: str) -> None:
        self.joined[socket_id] = (user_id, username)
        writer = self.writers.get(socket_id)
        if writer is not None:
            writer.user_id = user_id

    def fan_out(self, envelope: Envelope) -> None:
        """Hand one event to every socket of ours; one ASGI message for all (servers only read it)."""
        message = {"type": "websocket.send", "text": envelope.text}
        for writer in list(self.writers.values()):
            writer.deliver(envelope, message)

    def resume_all(self, reason: str) -> None:
        """Events may have been missed: every socket of ours closes (1012) and its page resumes."""
        logger.warning("%s: closing %d sockets so that their pages resume", reason, len(self.writers))
        for writer in list(self.writers.values()):
            writer.resume()

    def close_all(self, code: int) -> None:
        for writer in list(self.writers.values()):
            writer.close_for(code)


local_sockets = per_loop(Registry)  # the running loop's registry
