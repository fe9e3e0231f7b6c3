"""Settings for reference (a): Channels on the Redis layer, no database, no middleware."""

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
# The same layer options as the wall (wallsite/settings.py), so the two differ only in the consumer.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "socket_timeout": 30,
                    "socket_connect_timeout": 5,
                    # As the wall's: with the default pool, many sockets closing at once fail their
                    # group_discard ("Too many connections") and leave dead channels in the group.
                    "max_connections": 2000,
                }
            ],
            "prefix": f"{os.environ.get('BENCH_REDIS_PREFIX', 'bench-reference')}:asgi",
            "capacity": 1000,
            "expiry": 60,
        },
    }
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
