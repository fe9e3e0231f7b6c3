"""Who is online: sockets per user in a shared store with expiry (Redis), never process memory.

Each joined socket is an entry that expires WALL_PRESENCE_TTL seconds after its last refresh; a
process refreshes its sockets every WALL_PRESENCE_HEARTBEAT seconds, so the users of a process that
died expire on their own and a surviving process announces their `user_left` (the reaper).
"Announced" users are those the wall was told are online and not yet told they left: that set is
what `users` lists, and it makes join/leave announcements exactly-once across processes.
A user's last socket closing is only announced after WALL_PRESENCE_LEAVE_GRACE seconds, so a
page reload or network blip causes no leave/join pair. Without REDIS_URL (the single-process
embedded default) the same model lives in this process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from .sharedstore import get_redis, key, redis_enabled

# Times (milliseconds) come from Redis (TIME) so that the hosts' clocks don't matter.
_NOW = "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

# KEYS: sockets(user), users, names, announced. ARGV: user id, channel, username, ttl.
# Returns 1 if the user must be announced as joined.
_JOIN = (
    _NOW
    + """
local expires = now + tonumber(ARGV[4]) * 1000
redis.call('ZADD', KEYS[1], expires, ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]) * 2)
redis.call('ZADD', KEYS[2], 'GT', expires, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return redis.call('SADD', KEYS[4], ARGV[1])
"""
)

# KEYS: sockets(user). ARGV: channel. Returns how many live sockets the user still has.
_LEAVE = (
    _NOW
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""
)

# KEYS: sockets(user), users, announced. ARGV: user id.
# Returns 1 if the user has no live socket and must be announced as left (only one caller gets 1).
_SETTLE = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('SREM', KEYS[3], ARGV[1])
"""
)

# KEYS: users, announced; then one sockets(user) key per pair. ARGV: ttl, then user id, channel pairs.
# Refreshes this process's sockets; returns user ids that must be announced as joined again.
_REFRESH = (
    _NOW
    + """
local expires = now + tonumber(ARGV[1]) * 1000
local rejoined = {}
for i = 2, #ARGV, 2 do
  local sockets = KEYS[3 + (i - 2) / 2]
  redis.call('ZADD', sockets, expires, ARGV[i + 1])
  redis.call('EXPIRE', sockets, tonumber(ARGV[1]) * 2)
  redis.call('ZADD', KEYS[1], 'GT', expires, ARGV[i])
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then table.insert(rejoined, ARGV[i]) end
end
return rejoined
"""
)

# KEYS: users, announced. Users whose every socket expired (their process died): each is
# returned to exactly one caller, which announces them as left.
_REAP = (
    _NOW
    + """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
local left = {}
for _, uid in ipairs(gone) do
  redis.call('ZREM', KEYS[1], uid)
  if redis.call('SREM', KEYS[2], uid) == 1 then table.insert(left, uid) end
end
return left
"""
)


@dataclass(frozen=True)
class OnlineUser:
    id: str
    username: str


def _sockets_key(user_id: str) -> str:
    return key("presence", "sockets", user_id)


def _users_key() -> str:
    return key("presence", "users")


def _names_key() -> str:
    return key("presence", "names")


def _announced_key() -> str:
    return key("presence", "announced")


async def _names(user_ids: list[str]) -> list[OnlineUser]:
    if not user_ids:
        return []
    names = await get_redis().hmget(_names_key(), user_ids)
    return [OnlineUser(uid, name) for uid, name in zip(user_ids, names, strict=True) if name]


async def presence_join(*, user_id: str, username: str, socket_id: str) -> bool:
    """Mark a socket online; True when the user must be announced as joined."""
    if not redis_enabled():
        return _memory.join(user_id, username, socket_id)
    keys = (_sockets_key(user_id), _users_key(), _names_key(), _announced_key())
    ttl = settings.WALL_PRESENCE_TTL
    return bool(await get_redis().eval(_JOIN, 4, *keys, user_id, socket_id, username, ttl))


async def presence_leave(*, user_id: str, socket_id: str) -> bool:
    """Forget a socket; True when the user has no live socket left (settle after the grace)."""
    if not redis_enabled():
        return _memory.leave(user_id, socket_id)
    return await get_redis().eval(_LEAVE, 1, _sockets_key(user_id), socket_id) == 0


async def presence_settle(*, user_id: str) -> bool:
    """After the leave grace: True when the user is still gone and must be announced as left."""
    if not redis_enabled():
        return _memory.settle(user_id)
    keys = (_sockets_key(user_id), _users_key(), _announced_key())
    return bool(await get_redis().eval(_SETTLE, 3, *keys, user_id))


async def presence_refresh(sockets: list[tuple[str, str]]) -> list[str]:
    """Heartbeat for this process's (user id, channel) sockets; returns users to announce again."""
    if not sockets:
        return []
    if not redis_enabled():
        return _memory.refresh(sockets)
    keys = [_users_key(), _announced_key(), *(_sockets_key(uid) for uid, _ in sockets)]
    args = [settings.WALL_PRESENCE_TTL, *(item for pair in sockets for item in pair)]
    return list(await get_redis().eval(_REFRESH, len(keys), *keys, *args))


async def presence_reap() -> list[OnlineUser]:
    """Users whose sockets all expired (a dead process): each returned once, across processes."""
    if not redis_enabled():
        return _memory.reap()
    left = await get_redis().eval(_REAP, 2, _users_key(), _announced_key())
    return await _names(list(left))


async def presence_online() -> list[OnlineUser]:
    """Everyone announced online now, across every process, in name order."""
    if not redis_enabled():
        users = _memory.online()
    else:
        users = await _names(sorted(await get_redis().smembers(_announced_key())))
    return sorted(users, key=lambda user: user.username.lower())


async def presence_username(user_id: str) -> str | None:
    if not redis_enabled():
        return _memory.names.get(user_id)
    return await get_redis().hget(_names_key(), user_id)


@dataclass
class _MemoryPresence:
    """The same model for one process (no REDIS_URL)."""

    sockets: dict[str, dict[str, float]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    announced: set[str] = field(default_factory=set)
    # user id → the latest expiry of any of its sockets, as the Redis "users" zset.
    expires: dict[str, float] = field(default_factory=dict)

    def _touch(self, user_id: str, socket_id: str) -> None:
        expiry = time.monotonic() + settings.WALL_PRESENCE_TTL
        self._live(user_id)[socket_id] = expiry
        self.expires[user_id] = max(expiry, self.expires.get(user_id, 0))

    def _live(self, user_id: str) -> dict[str, float]:
        now = time.monotonic()
        live = {ch: exp for ch, exp in self.sockets.get(user_id, {}).items() if exp > now}
        self.sockets[user_id] = live
        return live

    def join(self, user_id: str, username: str, socket_id: str) -> bool:
        self._touch(user_id, socket_id)
        self.names[user_id] = username
        first = user_id not in self.announced
        self.announced.add(user_id)
        return first

    def leave(self, user_id: str, socket_id: str) -> bool:
        self.sockets.get(user_id, {}).pop(socket_id, None)
        return not self._live(user_id)

    def settle(self, user_id: str) -> bool:
        if self._live(user_id) or user_id not in self.announced:
            return False
        self.expires.pop(user_id, None)
        self.announced.discard(user_id)
        return True

    def refresh(self, sockets: list[tuple[str, str]]) -> list[str]:
        rejoined = []
        for user_id, socket_id in sockets:
            self._touch(user_id, socket_id)
            if user_id not in self.announced:
                self.announced.add(user_id)
                rejoined.append(user_id)
        return rejoined

    def reap(self) -> list[OnlineUser]:
        now = time.monotonic()
        gone = [uid for uid, expiry in self.expires.items() if expiry <= now]
        for uid in gone:
            del self.expires[uid]
        left = [uid for uid in gone if uid in self.announced]
        self.announced.difference_update(left)
        return [OnlineUser(uid, self.names[uid]) for uid in left]

    def online(self) -> list[OnlineUser]:
        return [OnlineUser(uid, self.names[uid]) for uid in self.announced]

    def clear(self) -> None:
        self.sockets.clear()
        self.names.clear()
        self.announced.clear()
        self.expires.clear()


_memory = _MemoryPresence()
