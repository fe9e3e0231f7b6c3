"""Settings for references (a) and (c): Channels on a Redis layer (BENCH_CHANNEL_LAYER: core or pubsub),
no database, no middleware."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-reference-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
ROOT_URLCONF = "bench.reference_channels_settings"
urlpatterns: list = []
ASGI_APPLICATION = "bench.reference_channels.application"
USE_TZ = True
_HOST = {
    "address": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    "socket_timeout": 30,
    "socket_connect_timeout": 5,
    # As the wall's: with the default pool, many sockets closing at once fail their
    # group_discard ("Too many connections") and leave dead channels in the group.
    "max_connections": 2000,
}
_PREFIX = f"{os.environ.get('BENCH_REDIS_PREFIX', 'bench-reference')}:asgi"
# The wall's layer options (wallsite/channel_layers.py), so the designs differ only in the consumer.
if os.environ.get("BENCH_CHANNEL_LAYER", "core") == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [_HOST], "prefix": _PREFIX},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [_HOST], "prefix": _PREFIX, "capacity": 1000, "expiry": 60},
        }
    }
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
