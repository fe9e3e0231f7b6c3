"""Settings for the wall: every deployment knob is an environment variable listed in the README."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from wallsite.channel_layers import channel_layers
from wallsite.logging_config import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read an environment variable, treating an empty value as unset."""
    value = os.environ.get(name, "").strip()
    return value if value else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = env(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, got {value!r}") from None


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env("DJANGO_SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0 "
            '(generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))")'
        )
    SECRET_KEY = "django-insecure-dev-only-key-for-the-wall-never-use-in-production"

ALLOWED_HOSTS = [
    host.strip()
    for host in env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in (env("DJANGO_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if origin.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "wall",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wall.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page (wall/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wallsite.urls"
ASGI_APPLICATION = "wallsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, or an SQLite file for the embedded default.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE avoids "database is locked" on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Per connection: a query waiting on a lock (another process's transaction, an admin bulk action)
    # or running too long fails (`unavailable`, nothing saved) instead of holding its socket. 0 = off.
    _timeouts = {
        "lock_timeout": env_float("WALL_DB_LOCK_TIMEOUT", 5),
        "statement_timeout": env_float("WALL_DB_STATEMENT_TIMEOUT", 30),
    }
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _flags = [f"-c {name}={int(value * 1000)}" for name, value in _timeouts.items()]
    _options["options"] = " ".join([_options.get("options", ""), *_flags]).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Database threads per process for async code (wall/db.py), each with its own connection on PostgreSQL:
# processes x WALL_DB_THREADS (+ 1 each for the admin's thread) must stay under max_connections (100).
WALL_DB_THREADS = env_int("WALL_DB_THREADS", 10)
# Seconds a socket that connects may reuse the last history read while no event came meanwhile
# (wall/live/snapshots.py); 0 reads for every batch of connects.
WALL_SNAPSHOT_REUSE = env_float("WALL_SNAPSHOT_REUSE", 2)
# Allocations between collections of the youngest generation (Python's default is 700); with
# gc.freeze() after start-up (wallsite/asgi.py, docs/decisions.md). At least 1: 0 would turn the
# collector off.
WALL_GC_THRESHOLD = env_int("WALL_GC_THRESHOLD", 10_000)
if WALL_GC_THRESHOLD < 1:
    raise ImproperlyConfigured(f"WALL_GC_THRESHOLD must be at least 1, got {WALL_GC_THRESHOLD}")

# Shared state: Redis when REDIS_URL is set, else this process only (the embedded default).
REDIS_URL = env("REDIS_URL")
WALL_REDIS_PREFIX = env("WALL_REDIS_PREFIX", "wall")
# redis-py 8 defaults to a 5 s socket timeout; with channels-redis' 5 s blocking pop it closed idle
# sockets (docs/decisions.md). Our reads are short, so 30 s only bounds a hung Redis.
REDIS_SOCKET_TIMEOUT = 30
REDIS_MAX_CONNECTIONS = env_int("WALL_REDIS_MAX_CONNECTIONS", 2000)


def env_list(name: str) -> list[str]:
    return [item.strip() for item in (env(name, "") or "").split(",") if item.strip()]


# Live events: Channels' channel layer, one group ("wall") with one member per process
# (wall/live/member.py); channels-redis with Redis, the in-memory layer without (one process).
WALL_CHANNEL_LAYER = env("WALL_CHANNEL_LAYER", "pubsub")
CHANNEL_LAYERS = channel_layers(
    redis_url=REDIS_URL,
    prefix=WALL_REDIS_PREFIX,
    kind=WALL_CHANNEL_LAYER,
    hosts=env_list("WALL_CHANNEL_LAYER_HOSTS"),
    sentinels=env_list("WALL_CHANNEL_LAYER_SENTINELS"),
    sentinel_master=env("WALL_CHANNEL_LAYER_SENTINEL_MASTER"),
    encryption_key=env("WALL_CHANNEL_LAYER_ENCRYPTION_KEY"),
    socket_timeout=REDIS_SOCKET_TIMEOUT,
)
# Loss detection (wall/live/positions.py): how long a missing position may be awaited before the
# process's sockets resume, and how often each process checks that the tail reached it (seconds).
WALL_GAP_WINDOW = env_float("WALL_GAP_WINDOW", 1.0)
WALL_TAIL_CHECK = env_float("WALL_TAIL_CHECK", 2.0)
# Seconds a process stays in the group after its last socket closed, so the next one needs no rejoin.
WALL_MEMBER_LINGER = 30.0

# Prometheus metrics at /metrics (wall/metrics.py), off by default. With them on, a scrape needs
# the bearer token WALL_METRICS_TOKEN or an address in WALL_METRICS_ALLOW (default: loopback).
WALL_METRICS = env_bool("WALL_METRICS", False)
WALL_METRICS_TOKEN = env("WALL_METRICS_TOKEN")
WALL_METRICS_ALLOW = env_list("WALL_METRICS_ALLOW") or ["127.0.0.1/8", "::1/128"]
# Seconds between updates of the admin dashboard (wall/dashboard.py) and of each process's report.
WALL_DASHBOARD_INTERVAL = 2.0

# The moderators' door (/admin/login/, and the page's moderator actions on the same session):
# django-axes counts failed logins in the database, so every process sees them, and locks out a
# username, and separately an address, after WALL_LOGIN_FAILURES failures for WALL_LOGIN_COOLOFF
# minutes. Staff unlock in the admin (Axes → Access attempts: delete the row).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("WALL_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("WALL_LOGIN_COOLOFF", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "wall.lockout.locked_out"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{WALL_REDIS_PREFIX}:cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if WALL_METRICS:
    # django-prometheus: Django's own request, database and cache metrics, through its wrappers.
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
    DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
        "django.db.backends.", "django_prometheus.db.backends."
    )
    # Its Redis cache wrapper needs django-redis, not Django's own RedisCache: only locmem is wrapped.
    CACHES["default"]["BACKEND"] = CACHES["default"]["BACKEND"].replace(
        "django.core.cache.backends.locmem.", "django_prometheus.cache.backends.locmem."
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Static files are served by whitenoise from the app folders too, so `collectstatic` is optional locally.
WHITENOISE_USE_FINDERS = True

# Security headers (the CSP itself is set by wall.security).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
    # Only once every subdomain is served over HTTPS for good (`check --deploy` asks for both).
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs: DJANGO_LOG_FORMAT=text (the default) or json, one object per line (wall/logs.py).
try:
    LOGGING = logging_config(
        log_format=env("DJANGO_LOG_FORMAT", "text"), level=env("DJANGO_LOG_LEVEL", "INFO")
    )
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None

# The wall's own limits (docs/protocol.md).
WALL_HISTORY_LIMIT = env_int("WALL_HISTORY_LIMIT", 50)
WALL_HISTORY_MAX_PAGE = 200
# Posts older than this many days are deleted by `manage.py wall_prune` (unset: kept forever).
WALL_RETENTION_DAYS = env_int("WALL_RETENTION_DAYS", 0) or None
WALL_RESUME_LIMIT = 1000
# A resume also returns posts up to `since` saved this many seconds before it (at most
# WALL_RESUME_OVERLAP_MAX of them): a transaction that committed late, out of id order, is not
# skipped (wall/selectors.py). Keep it above the longest a post's transaction can take.
WALL_RESUME_OVERLAP = env_float("WALL_RESUME_OVERLAP", 30)
WALL_RESUME_OVERLAP_MAX = 200
WALL_CONTENT_MAX = 2000
# An author may edit a post this many seconds after saving it (`edit`; docs/protocol.md).
WALL_EDIT_WINDOW = env_float("WALL_EDIT_WINDOW", 900)
# A reply's quote of its original: this many characters of its first line (wall/selectors.py).
WALL_EXCERPT_MAX = 120
WALL_USERNAME_MIN = 2
WALL_USERNAME_MAX = 32
WALL_FRAME_MAX_BYTES = 64 * 1024
WALL_POST_RATE = env("WALL_POST_RATE", "5/10s")
WALL_TYPING_RATE = "1/2s"
# Abuse limits (docs/protocol.md): the same text per user, sockets and new names per client address
# (loopback exempt), `join` frames per socket.
WALL_DUPLICATE_RATE = env("WALL_DUPLICATE_RATE", "3/1m")
WALL_SOCKETS_PER_IP = env_int("WALL_SOCKETS_PER_IP", 20)
WALL_NAME_RATE = env("WALL_NAME_RATE", "30/1h")
WALL_JOIN_RATE = "10/1m"
# Readers' reports (wall/reports.py): this many distinct people hide a post until a moderator
# decides; reports per person, same format as WALL_POST_RATE (only recorded reports count).
WALL_REPORT_THRESHOLD = env_int("WALL_REPORT_THRESHOLD", 5)
WALL_REPORT_RATE = env("WALL_REPORT_RATE", "10/1h")
# Seconds a process reuses the word rules it read (wall/wordfilter.py); a change in the admin applies
# at once in its own process and within this in the others. 0 reads them for every post.
WALL_WORD_RULES_TTL = env_float("WALL_WORD_RULES_TTL", 5)
# Held posts: new posts wait for a moderator's approval unless their author is trusted (wall.moderation).
WALL_PREMODERATION = env_bool("WALL_PREMODERATION", False)
# Names on several devices and renames (issue 15, docs/protocol.md): device codes made per
# participant, codes tried per client address, renames per participant.
WALL_DEVICE_CODE_RATE = env("WALL_DEVICE_CODE_RATE", "5/10m")
WALL_CODE_TRY_RATE = env("WALL_CODE_TRY_RATE", "10/10m")
WALL_RENAME_RATE = env("WALL_RENAME_RATE", "3/24h")
# A name given up by a rename stays kept from others this many days.
WALL_NAME_RESERVE_DAYS = env_int("WALL_NAME_RESERVE_DAYS", 7)
# Reactions (docs/protocol.md): per user, counted like posts; distinct emoji one post may carry.
WALL_REACTION_RATE = "20/10s"
WALL_REACTIONS_PER_POST = 20
# Presence: sockets refresh every HEARTBEAT seconds; a socket not refreshed for TTL seconds is gone.
# The page pings after this many quiet seconds and takes the socket for dead if no frame follows
# within WALL_PONG_WITHIN seconds (keep the ping under the proxy's idle timeout).
WALL_PING_AFTER = env_float("WALL_PING_AFTER", 25)
WALL_PONG_WITHIN = env_float("WALL_PONG_WITHIN", 10)
# Live events a socket may have queued before it is closed (1013) to resume from the database.
WALL_SOCKET_BACKLOG = env_int("WALL_SOCKET_BACKLOG", 1000)
# A dead process's users are announced as left within TTL + HEARTBEAT seconds (80 s by default).
WALL_PRESENCE_HEARTBEAT = env_float("WALL_PRESENCE_HEARTBEAT", 20)
WALL_PRESENCE_TTL = env_int("WALL_PRESENCE_TTL", 60)
# A user's last socket closing is announced only if no socket of theirs is back within this time.
WALL_PRESENCE_LEAVE_GRACE = env_float("WALL_PRESENCE_LEAVE_GRACE", 3)
# Images in posts (docs/protocol.md): an upload's size, each side in pixels, the thumbnail's longer
# side, and uploads waiting to be posted per user and hour. `manage.py wall_cleanup` deletes
# uploads never posted after WALL_IMAGE_ORPHAN_HOURS.
WALL_IMAGE_MAX_BYTES = 5 * 1024 * 1024
WALL_IMAGE_MAX_SIDE = 4096
WALL_IMAGE_THUMBNAIL_SIDE = 480
WALL_IMAGE_PENDING_MAX = 20
WALL_IMAGE_ORPHAN_HOURS = env_int("WALL_IMAGE_ORPHAN_HOURS", 24)
