"""A small blocking WebSocket client that speaks the wall's protocol to a real server process."""

from __future__ import annotations

import json
import time

from websockets.sync.client import ClientConnection, connect


class WallClient:
    def __init__(self, url: str, origin: str | None = None) -> None:
        origin = origin or url.replace("ws://", "http://").split("/ws/")[0]
        self.connection: ClientConnection = connect(
            url, origin=origin, open_timeout=10, max_size=2**22, legacy=True
        )
        self.history = self.receive_type("messages")
        self.users = self.receive_type("users")["users"]
        self.username: str | None = None

    def send(self, kind: str, data: dict | None = None) -> None:
        self.connection.send(json.dumps({"type": kind, "data": data or {}}))

    def receive(self, timeout: float = 5) -> dict:
        return json.loads(self.connection.recv(timeout=timeout))

    def receive_type(self, kind: str, timeout: float = 5) -> dict:
        frame = self.receive(timeout)
        assert frame["type"] == kind, frame
        return frame["data"]

    def receive_next(self, kind: str, timeout: float = 5) -> dict:
        """Skip frames of other types until one of `kind` arrives within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.receive(max(0.01, deadline - time.monotonic()))
            if frame["type"] == kind:
                return frame["data"]

    def join(self, **data) -> dict:
        self.send("join", data)
        welcome = self.receive_next("welcome")
        self.username = welcome["username"]
        return welcome

    def close(self) -> None:
        self.connection.close()
