"""The shared store's interface: the state the wall's processes share (presence, rate limits, sockets
per address, event positions), with one implementation in Redis and one in this process.

Both implementations pass the same contract tests (tests/test_store.py). The Redis one raises
redis.exceptions.RedisError while Redis is unreachable (except where a method says otherwise); the
in-process one never raises.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class OnlineUser:
    id: str
    username: str


@dataclass(frozen=True, order=True)
class Position:
    """Where an event stands on the group: `seq` counts up from 1 within one `epoch` (a uuid hex)."""

    epoch: str
    seq: int


def by_name(users: list[OnlineUser]) -> list[OnlineUser]:
    return sorted(users, key=lambda user: user.username.lower())


class SharedStore(ABC):
    """What every process of one wall sees alike. Entries that a process must keep alive (presence,
    counted sockets) expire WALL_PRESENCE_TTL seconds after their last refresh."""

    # --- presence: who is online ----------------------------------------------------------------
    # Each joined socket is an entry that its process refreshes every WALL_PRESENCE_HEARTBEAT
    # seconds (wall.live.heartbeat), so the users of a process that died expire on their own and a
    # surviving process announces their `user_left` (the reaper). "Announced" users are those the
    # wall was told are online and not yet told they left: what `users` lists, and what makes each
    # join and leave announced once across processes. A leave is settled only after
    # WALL_PRESENCE_LEAVE_GRACE seconds, so a page reload announces nothing.

    @abstractmethod
    async def presence_join(self, *, user_id: str, username: str, socket_id: str) -> bool:
        """Mark a socket online; True when the user must be announced as joined."""

    @abstractmethod
    async def presence_leave(self, *, user_id: str, socket_id: str) -> bool:
        """Forget a socket; True when the user has no live socket left (settle after the grace)."""

    @abstractmethod
    async def presence_settle(self, *, user_id: str) -> bool:
        """After the leave grace: True when the user is still gone and must be announced as left
        (exactly one caller across processes gets True)."""

    @abstractmethod
    async def presence_refresh(self, sockets: list[tuple[str, str]]) -> list[str]:
        """Heartbeat for this process's (user id, socket id) pairs; returns the users to announce
        again (a reaper had announced them as left)."""

    @abstractmethod
    async def presence_reap(self) -> list[OnlineUser]:
        """Users whose sockets all expired (a dead process): each returned once, across processes."""

    @abstractmethod
    async def presence_online(self) -> list[OnlineUser]:
        """Everyone announced online now, across every process, in name order."""

    # --- rate limits: sliding windows of hits (wall.live.throttle) --------------------------------

    @abstractmethod
    async def window_hit(self, name: str, *, limit: int, seconds: float) -> tuple[str, float | None]:
        """Count one hit in the window `name`: (its member, None), or (member, seconds to wait) when
        `limit` hits are in the last `seconds` (then nothing is counted). The Redis store counts in
        this process while Redis is unreachable (logged) and never raises."""

    @abstractmethod
    async def window_give_back(self, name: str, member: str) -> None:
        """Remove a hit again (one that already left the window is no error); never raises."""

    # --- sockets per client address (wall.live.connections) ----------------------------------

    @abstractmethod
    async def sockets_open(self, address: str, socket_id: str, *, limit: int) -> bool:
        """Count a socket of `address` (a keyed hash); False, and not counted, at `limit`."""

    @abstractmethod
    async def sockets_close(self, address: str, socket_id: str) -> None:
        """Stop counting a socket (a no-op for one never counted)."""

    @abstractmethod
    async def sockets_refresh(self, sockets: dict[str, str]) -> None:
        """Keep this process's counted sockets (socket id → address) alive."""

    # --- event positions (wall.live.positions) -----------------------------------------------

    @abstractmethod
    async def position_next(self) -> Position:
        """Take the next position for an event about to be group-sent."""

    @abstractmethod
    async def position_current(self) -> Position | None:
        """The last position taken by any process, or None when none was taken in this epoch (or
        the store lost it: a restarted Redis)."""

    # --- process reports (wall.live.processes: the admin dashboard) ----------------------------

    @abstractmethod
    async def process_report_save(self, process: str, report: str) -> None:
        """Keep a process's report (JSON text) for WALL_PRESENCE_TTL seconds."""

    @abstractmethod
    async def process_reports(self) -> list[str]:
        """Every process's report still kept, in no particular order."""

    # --- health ------------------------------------------------------------------------------

    @abstractmethod
    async def ping(self) -> bool:
        """True when the store answers (the health check)."""
