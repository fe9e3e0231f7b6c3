"""The CHANNEL_LAYERS setting, built from the environment (README, "Configuration").

With Redis: channels-redis' pub/sub layer by default, or its core layer (WALL_CHANNEL_LAYER=core),
on REDIS_URL or the hosts named in WALL_CHANNEL_LAYER_HOSTS, or behind Redis Sentinel. Without
Redis: Channels' in-memory layer, for the embedded default (one process). Why pub/sub is the
default: docs/decisions.md ("The channel layer").
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

BACKENDS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}
# The core layer drops a message past a channel's `capacity` (100 by default) without telling the
# sender; the wall has one channel per process, which a burst of events can fill. Positions would
# catch the loss (wall.live.positions), but a roomier channel avoids the resume.
CAPACITY = 10_000


def channel_layers(
    *,
    redis_url: str | None,
    prefix: str,
    kind: str = "pubsub",
    hosts: list[str] | None = None,
    sentinels: list[str] | None = None,
    sentinel_master: str | None = None,
    encryption_key: str | None = None,
    socket_timeout: float = 30,
) -> dict[str, Any]:
    """The CHANNEL_LAYERS dict; raises ImproperlyConfigured for an unknown `kind` or a Sentinel
    without a master name.

    `hosts` are Redis URLs (several shard the layer, as channels-redis does); `sentinels` are
    "host:port" pairs, with `sentinel_master` the monitored master's name.
    """
    if not redis_url and not hosts and not sentinels:
        return {
            "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": CAPACITY}}
        }
    if kind not in BACKENDS:
        raise ImproperlyConfigured(f"WALL_CHANNEL_LAYER must be one of {', '.join(BACKENDS)}, got {kind!r}")
    # redis-py 8's 5 s default read timeout closed idle connections under the core layer's 5 s
    # blocking pop (docs/decisions.md); the health check finds a pub/sub connection gone half-open.
    connection = {"socket_timeout": socket_timeout, "socket_keepalive": True, "health_check_interval": 10}
    if sentinels:
        if not sentinel_master:
            raise ImproperlyConfigured(
                "WALL_CHANNEL_LAYER_SENTINELS needs WALL_CHANNEL_LAYER_SENTINEL_MASTER"
            )
        pairs = [(host, int(port)) for host, _, port in (item.rpartition(":") for item in sentinels)]
        host_list: list[dict[str, Any]] = [{"sentinels": pairs, "master_name": sentinel_master, **connection}]
    else:
        host_list = [{"address": url, **connection} for url in (hosts or [redis_url])]
    config: dict[str, Any] = {"hosts": host_list, "prefix": f"{prefix}:layer"}
    if kind == "core":
        config["capacity"] = CAPACITY
    if encryption_key:
        config["symmetric_encryption_keys"] = [encryption_key]
    return {"default": {"BACKEND": BACKENDS[kind], "CONFIG": config}}
