"""The Redis store's Lua scripts. Each runs atomically and reads Redis' own clock (TIME), so the
hosts' clocks never matter and one decision holds across processes (docs/decisions.md)."""

_NOW_MS = (
    "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
)
_NOW_S = "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) + tonumber(t[2]) / 1000000\n"

# --- presence (milliseconds) ---------------------------------------------------------------------

# KEYS: sockets(user), users, names, announced. ARGV: user id, socket id, username, ttl.
# Returns 1 if the user must be announced as joined.
PRESENCE_JOIN = (
    _NOW_MS
    + """
local expires = now + tonumber(ARGV[4]) * 1000
redis.call('ZADD', KEYS[1], expires, ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]) * 2)
redis.call('ZADD', KEYS[2], 'GT', expires, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return redis.call('SADD', KEYS[4], ARGV[1])
"""
)

# KEYS: sockets(user). ARGV: socket id. Returns how many live sockets the user still has.
PRESENCE_LEAVE = (
    _NOW_MS
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""
)

# KEYS: sockets(user), users, announced. ARGV: user id.
# Returns 1 if the user has no live socket and must be announced as left (only one caller gets 1).
PRESENCE_SETTLE = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('SREM', KEYS[3], ARGV[1])
"""
)

# KEYS: users, announced; then one sockets(user) key per pair. ARGV: ttl, then user id, socket id pairs.
# Refreshes this process's sockets; returns user ids that must be announced as joined again.
PRESENCE_REFRESH = (
    _NOW_MS
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
PRESENCE_REAP = (
    _NOW_MS
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

# --- rate limits (milliseconds) ------------------------------------------------------------------

# Sliding window: KEYS[1] a zset of hit times. ARGV: window_ms, limit, member.
# Returns 0 when the hit is allowed, else the milliseconds until the oldest hit leaves the window.
WINDOW_HIT = (
    _NOW_MS
    + """
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""
)

# --- sockets per address (seconds) ---------------------------------------------------------------

# KEYS[1]: the address's zset of socket id → expiry. ARGV: socket id, limit, ttl. 1 if admitted.
SOCKETS_OPEN = (
    _NOW_S
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return 1
"""
)

# KEYS: one address key per socket. ARGV: ttl, then the socket ids in the same order.
# XX: only entries still there, so a socket closed during the refresh is not brought back.
SOCKETS_REFRESH = (
    _NOW_S
    + """
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[1]) * 2)
end
return #KEYS
"""
)

# --- event positions -----------------------------------------------------------------------------

# KEYS[1]: the position hash. ARGV[1]: an epoch to start if there is none. Returns {epoch, seq}.
POSITION_NEXT = """
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
return {redis.call('HGET', KEYS[1], 'epoch'), seq}
"""
