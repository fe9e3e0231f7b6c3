"""Event positions: every event on the wall's group carries (epoch, sequence number), and each
process checks the stream it receives against them, so that no transport can lose an event silently.

The counter lives in the shared store (`position_next`, `position_current`): in Redis one hash holds
the epoch and the sequence number together, so a Redis restart (or an eviction) loses both and the
next event starts a new epoch; without REDIS_URL (one process) the epoch is per process.
Why the wall does not trust the transport: channels-redis' pub/sub layer reconnects by itself and
drops what was published meanwhile (channels_redis#406), and its core layer's lists vanish with a
Redis restart (docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .store import Position

__all__ = ["Arrival", "Position", "ReorderBuffer"]


@dataclass
class Arrival:
    """What the reorder buffer decided for one arrival or check: the items to deliver now, in
    position order, and whether events were lost (the process's sockets must resume)."""

    ready: list = field(default_factory=list)
    lost: bool = False


@dataclass
class ReorderBuffer:
    """Orders a process's incoming events by position and detects loss. Pure: no I/O, no clock.

    Two processes take positions 5 and 6 and publish them in the other order, so a jump is first
    held for `window` seconds in case the missing position is still on its way. Loss is declared
    (`Arrival.lost`) when a jump is not filled within `window`, when the epoch changes, or when a
    tail check finds positions taken that never arrived (`tail`). Positions at or below the
    `floor` (set by `start` and by each declared loss) were covered by a resume or by the history
    a socket reads after joining, so a late one is dropped without alarm, like a duplicate.
    """

    window: float
    epoch: str | None = None
    next_seq: int = 1
    floor: int = 0
    held: dict[int, object] = field(default_factory=dict)
    held_since: float | None = None
    # The tail check's last reading: positions up to it must have arrived by the next check.
    tail_due: Position | None = None

    def start(self, current: Position | None) -> None:
        """Begin after joining the group: what was taken before `current` is not ours to deliver."""
        self.held.clear()
        self.held_since = self.tail_due = None
        self.epoch = current.epoch if current else None
        self.next_seq = (current.seq if current else 0) + 1
        self.floor = self.next_seq - 1

    def push(self, position: Position, item: object, now: float) -> Arrival:
        """Accept one event; returns what can be delivered now."""
        if self.epoch is None:
            # Nothing was taken when we joined: every position of this epoch is ours to receive.
            self.epoch = position.epoch
        elif position.epoch != self.epoch:
            self.start(position)
            return Arrival([item], lost=True)
        if position.seq < self.next_seq:  # a duplicate, or one a resume already covered
            return Arrival()
        self.held[position.seq] = item
        if self.held_since is None:
            self.held_since = now
        return Arrival(self._drain())

    def expire(self, now: float) -> Arrival:
        """Give up on a jump held longer than `window`: deliver what follows it, declare the loss."""
        if self.held_since is None or now - self.held_since < self.window:
            return Arrival()
        self._skip_to(min(self.held))
        return Arrival(self._drain(), lost=True)

    def tail(self, current: Position | None) -> Arrival:
        """The periodic check against the store's current position.

        Loss when the store lost the epoch (a restarted Redis) or a different one runs, or when
        positions that were taken at the previous check have still not arrived."""
        if current is None:
            if self.epoch is None:
                return Arrival()  # nothing was ever sent
            self.start(None)
            return Arrival(lost=True)
        if self.epoch is None:
            self.epoch = current.epoch
        elif current.epoch != self.epoch:
            self.start(current)
            return Arrival(lost=True)
        due, self.tail_due = self.tail_due, current
        if due is not None and due.epoch == self.epoch and due.seq >= self.next_seq:
            self._skip_to(due.seq + 1)
            self.tail_due = None
            return Arrival(self._drain(), lost=True)
        return Arrival()

    def _skip_to(self, seq: int) -> None:
        self.next_seq = max(self.next_seq, seq)
        self.floor = self.next_seq - 1
        for stale in [s for s in self.held if s < self.next_seq]:
            del self.held[stale]

    def _drain(self) -> list:
        ready = []
        while self.next_seq in self.held:
            ready.append(self.held.pop(self.next_seq))
            self.next_seq += 1
        self.held_since = None if not self.held else self.held_since
        return ready
