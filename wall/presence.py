"""Who is online: sockets per user in a shared store with expiry (Redis), never process memory.

Each joined socket is an entry that expires WALL_PRESENCE_TTL seconds after its last refresh, so
the users of a process that died vanish on their own. A user is online while any entry is alive.
Without REDIS_URL (the single-process embedded default) the same model lives in this process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from .sharedstore import get_redis, key, redis_enabled

# KEYS: user's socket zset, users zset, names hash. ARGV: user id, channel, username, ttl.
# Returns 1 if this is the user's first live socket. Times come from Redis so hosts' clocks don't matter.
_JOIN = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
local expires = now + tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], expires, ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]) * 2)
redis.call('ZADD', KEYS[2], 'GT', expires, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return before == 0 and 1 or 0
"""

# KEYS: user's socket zset, users zset. ARGV: user id, channel. Returns 1 if no live socket is left.
_LEAVE = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) == 0 then
  return redis.call('ZREM', KEYS[2], ARGV[1])
end
return 0
"""

# KEYS: users zset. Returns live user ids.
_ONLINE = """
local now = tonumber(redis.call('TIME')[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
"""


@dataclass(frozen=True)
class OnlineUser:
    id: str
    username: str


def _sockets_key(user_id: str) -> str:
    return key("presence", "sockets", user_id)


_USERS = ("presence", "users")
_NAMES = ("presence", "names")


async def presence_join(*, user_id: str, username: str, channel_name: str) -> bool:
    """Mark a socket online (also the heartbeat); True when it is the user's first live socket."""
    if not redis_enabled():
        return _memory.join(user_id, username, channel_name)
    first = await get_redis().eval(
        _JOIN,
        3,
        _sockets_key(user_id),
        key(*_USERS),
        key(*_NAMES),
        user_id,
        channel_name,
        username,
        settings.WALL_PRESENCE_TTL,
    )
    return bool(first)


async def presence_leave(*, user_id: str, channel_name: str) -> bool:
    """Forget a socket; True when it was the user's last live socket."""
    if not redis_enabled():
        return _memory.leave(user_id, channel_name)
    last = await get_redis().eval(_LEAVE, 2, _sockets_key(user_id), key(*_USERS), user_id, channel_name)
    return bool(last)


async def presence_online() -> list[OnlineUser]:
    """Everyone online now, across every process, in name order."""
    if not redis_enabled():
        return _memory.online()
    client = get_redis()
    user_ids = await client.eval(_ONLINE, 1, key(*_USERS))
    if not user_ids:
        return []
    names = await client.hmget(key(*_NAMES), user_ids)
    users = [OnlineUser(uid, name) for uid, name in zip(user_ids, names, strict=True) if name]
    return sorted(users, key=lambda user: user.username.lower())


@dataclass
class _MemoryPresence:
    """The same model for one process (no REDIS_URL): user id → {channel: expiry}."""

    sockets: dict[str, dict[str, float]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def _live(self, user_id: str) -> dict[str, float]:
        now = time.monotonic()
        live = {ch: exp for ch, exp in self.sockets.get(user_id, {}).items() if exp > now}
        if live:
            self.sockets[user_id] = live
        else:
            self.sockets.pop(user_id, None)
        return live

    def join(self, user_id: str, username: str, channel_name: str) -> bool:
        first = not self._live(user_id)
        self.sockets.setdefault(user_id, {})[channel_name] = time.monotonic() + settings.WALL_PRESENCE_TTL
        self.names[user_id] = username
        return first

    def leave(self, user_id: str, channel_name: str) -> bool:
        had = bool(self._live(user_id))
        self.sockets.get(user_id, {}).pop(channel_name, None)
        return had and not self._live(user_id)

    def online(self) -> list[OnlineUser]:
        users = [OnlineUser(uid, self.names[uid]) for uid in list(self.sockets) if self._live(uid)]
        return sorted(users, key=lambda user: user.username.lower())


_memory = _MemoryPresence()
