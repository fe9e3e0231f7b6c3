"""The registry of this process's sockets: their writers, who joined as whom, and which address
each counts against. Only this process's own sockets: who is online across processes is decided in
the shared store (wall.live.presence)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from .. import metrics
from .frames import prepared_frame
from .loops import per_loop
from .writer import Envelope, SocketWriter

logger = logging.getLogger(__name__)


@dataclass
class Registry:
    """This process's sockets on one event loop (one loop per process in production)."""

    writers: dict[str, SocketWriter] = field(default_factory=dict)  # socket id → writer
    joined: dict[str, tuple[str, str]] = field(default_factory=dict)  # socket id → (user id, name)
    counted: dict[str, str] = field(default_factory=dict)  # socket id → client address
    # Events fanned out and resumes so far: a connect snapshot read while this stayed the same
    # still holds for a socket that registers now (wall.live.snapshots).
    changes: int = 0

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
        """Hand one event to every socket of ours: one ASGI message for all (servers only read it) and
        one prepared frame (wall.live.frames)."""
        started = time.perf_counter()
        self.changes += 1
        message = {"type": "websocket.send", "text": envelope.text}
        frame = prepared_frame(envelope.text)
        writers = list(self.writers.values())
        for writer in writers:
            writer.deliver(envelope, message, frame)
        metrics.event_delivered(envelope.kind, len(writers), time.perf_counter() - started)

    def resume_all(self, reason: str) -> None:
        """Events may have been missed: every socket of ours closes (1012) and its page resumes."""
        self.changes += 1
        logger.warning("%s: closing %d sockets so that their pages resume", reason, len(self.writers))
        metrics.resumed("gap", len(self.writers))
        for writer in list(self.writers.values()):
            writer.resume()

    def close_all(self, code: int) -> None:
        for writer in list(self.writers.values()):
            writer.close_for(code)


local_sockets = per_loop(Registry)  # the running loop's registry


def _count(attribute: str, distinct: bool = False) -> int:
    """For the gauges, read at scrape time: sockets (or distinct joined users) over every loop."""
    registries = list(local_sockets.instances.values())
    if distinct:
        return len({user_id for registry in registries for user_id, _ in registry.joined.values()})
    return sum(len(getattr(registry, attribute)) for registry in registries)


metrics.SOCKETS_OPEN.labels(metrics.PROCESS).set_function(lambda: _count("writers"))
metrics.USERS_JOINED.labels(metrics.PROCESS).set_function(lambda: _count("joined", distinct=True))
