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


class ResumingClient:
    """A reader that behaves like the page: when its socket closes it reconnects (to the next
    server in its list) with ?since=<highest id held>, and it counts every delivery by post id.
    A resume page is merged by id, as the page does: it may repeat posts just below `since`
    (selectors.post_list_since), so only its new posts count as deliveries."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.deliveries: dict[str, int] = {}
        self.closes: list[int | None] = []
        self.client: WallClient | None = None
        self._connect()

    def _record(self, posts: list[dict]) -> None:
        for post in posts:
            self.deliveries[post["id"]] = self.deliveries.get(post["id"], 0) + 1

    def _since(self) -> str:
        return max(self.deliveries, key=int) if self.deliveries else ""

    def _connect(self, deadline: float | None = None) -> None:
        deadline = deadline or time.monotonic() + 30
        attempt = 0
        while True:
            url = self.urls[attempt % len(self.urls)]
            since = self._since()
            try:
                self.client = WallClient(f"{url}?since={since}" if since else url)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                attempt += 1
                time.sleep(0.2)
                continue
            if self.client.history.get("reset"):
                self.deliveries.clear()
            self._record(
                [post for post in self.client.history["messages"] if post["id"] not in self.deliveries]
            )
            return

    def pump(self, seconds: float) -> None:
        """Read (and resume) for `seconds`."""
        from websockets.exceptions import ConnectionClosed

        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self.client.receive(timeout=left)
            except TimeoutError:
                return
            except ConnectionClosed as closed:
                self.closes.append(closed.rcvd.code if closed.rcvd else None)
                self._connect()
                continue
            if frame["type"] == "message":
                self._record([frame["data"]["message"]])
            elif frame["type"] == "messages":
                self._record(frame["data"]["messages"])

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
