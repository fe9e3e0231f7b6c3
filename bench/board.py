"""The progress board: shared memory where receiver workers publish how many posts all their sockets
hold, so the poster keeps at most W posts in flight (bench/README.md, "Saturation")."""

from __future__ import annotations

import asyncio
import contextlib
import mmap
import socket
import struct

MAX_POSTERS = 16


class Board:
    """A small file in /dev/shm where each receiver worker publishes, per poster, how many posts all of
    its sockets hold; the poster worker reads it to keep at most W posts not yet delivered everywhere."""

    def __init__(self, path: str, slots: int) -> None:
        self.slots = slots
        with open(path, "r+b") as file:
            self.map = mmap.mmap(file.fileno(), slots * MAX_POSTERS * 8)
        # Publishing also pokes the poster through a datagram, so it need not poll the board.
        self.wake_address = "\0" + path
        self.wake_out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.wake_out.setblocking(False)
        self.woken: asyncio.Event | None = None

    def listen(self) -> None:
        """In the poster worker: receive the pokes and set `woken`."""
        loop = asyncio.get_running_loop()
        self.woken = asyncio.Event()
        inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        inbox.bind(self.wake_address)
        inbox.setblocking(False)
        woken = self.woken

        def on_readable() -> None:
            with contextlib.suppress(BlockingIOError):
                while True:
                    inbox.recv(64)
            woken.set()

        loop.add_reader(inbox.fileno(), on_readable)
        self.inbox = inbox

    @staticmethod
    def create(path: str, slots: int) -> None:
        with open(path, "wb") as file:
            file.write(bytes(max(1, slots) * MAX_POSTERS * 8))

    def publish(self, slot: int, poster: int, complete: int) -> None:
        struct.pack_into("<Q", self.map, (slot * MAX_POSTERS + poster) * 8, complete)
        with contextlib.suppress(OSError):  # no poster listening yet, or its inbox is full: it polls too
            self.wake_out.sendto(b"!", self.wake_address)

    def lowest(self, poster: int) -> int:
        return min(
            struct.unpack_from("<Q", self.map, (slot * MAX_POSTERS + poster) * 8)[0]
            for slot in range(self.slots)
        )
