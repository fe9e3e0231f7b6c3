"""Shared fixtures: real services (skipped with a reason on a laptop, required under CI), stores, sockets."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
from channels.testing import WebsocketCommunicator

from wall.live.heartbeat import drain
from wall.live.member import group_member
from wallsite.channel_layers import channel_layers

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_REDIS_URL = os.environ.get("WALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def service_reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def require_service(url: str, default_port: int, name: str) -> None:
    """Skip with a visible reason when a real service is down; under CI that is a failure."""
    if service_reachable(url, default_port):
        return
    message = f"{name} is unreachable at {url}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true requires it)")
    pytest.skip(message)


def pytest_configure(config: pytest.Config) -> None:
    database_url = os.environ.get("DATABASE_URL")
    if database_url and not service_reachable(database_url, 5432):
        message = f"PostgreSQL is unreachable at {database_url}"
        if IN_CI:
            raise pytest.UsageError(f"{message} (CI=true requires it)")
        pytest.exit(f"{message}: skipping this pass. Start it to run the PostgreSQL pass.", returncode=0)


@pytest.fixture(scope="session", autouse=True)
def asgi_application_loaded() -> None:
    """Load the ASGI application before any test: it runs django.setup(), whose logging dictConfig
    replaces the root logger's handlers, caplog's among them. Loaded inside a test, that test's caplog
    would see nothing and its checks for logged errors would pass vacuously."""
    import wallsite.asgi  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_word_rules():
    """Each test's posts are screened by the rules in its own database, not a previous test's
    (wall.wordfilter keeps them for WALL_WORD_RULES_TTL; emptying the tables sends no signal)."""
    from wall.wordfilter import forget_rules

    forget_rules()
    yield
    forget_rules()


@pytest.fixture(autouse=True)
def close_the_async_orm_connection():
    """After each test, close the connection of the thread Django's async ORM calls run on (`acount()`,
    `aget()`...). The wall's own calls run on wall.db's threads and close theirs; left open, this one
    keeps the test database busy and pytest-django cannot drop it."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, settings) -> str:
    """Run the test on each shared store with its channel layer, as deployed: "memory" (the
    in-process store, Channels' in-memory layer) and "redis" (the Redis store, channels-redis'
    layer, on the real Redis). Each test gets a fresh store (wall.live.store chooses again when
    REDIS_URL or WALL_REDIS_PREFIX changes) and keys of its own."""
    prefix = f"walltest-{uuid.uuid4().hex[:10]}"
    settings.WALL_REDIS_PREFIX = prefix
    settings.WALL_PRESENCE_LEAVE_GRACE = 0.1
    if request.param == "redis":
        require_service(TEST_REDIS_URL, 6379, "Redis")
        settings.REDIS_URL = TEST_REDIS_URL
    else:
        settings.REDIS_URL = None
    # Channels drops its cached layer when CHANNEL_LAYERS changes (channels.layers' setting_changed).
    settings.CHANNEL_LAYERS = channel_layers(redis_url=settings.REDIS_URL, prefix=prefix)
    return request.param


ORIGIN = (b"origin", b"http://127.0.0.1")


class Socket:
    """A connected test client on the real ASGI application, with helpers to speak the protocol."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.history: dict = {}
        self.users: list = []
        self.username: str | None = None

    async def send(self, kind: str, data: dict | None = None) -> None:
        await self.communicator.send_json_to({"type": kind, "data": data or {}})

    async def receive(self, timeout: float = 3) -> dict:
        return await self.communicator.receive_json_from(timeout=timeout)

    async def receive_type(self, kind: str, timeout: float = 3) -> dict:
        """The next frame, which must be of `kind`; returns its data."""
        frame = await self.receive(timeout)
        assert frame["type"] == kind, frame
        return frame["data"]

    async def receive_next(self, kind: str, timeout: float = 3) -> dict:
        """Skip frames of other types (presence, typing) until one of `kind`; returns its data."""
        while True:
            frame = await self.receive(timeout)
            if frame["type"] == kind:
                return frame["data"]

    async def nothing_more(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def join(self, **data) -> dict:
        await self.send("join", data)
        welcome = await self.receive_next("welcome")
        self.username = welcome["username"]
        return welcome

    async def post(self, content: str, client_id: str | None = None) -> dict:
        """Send a post and return the server's copy of it (skipping others' posts)."""
        await self.send("message", {"content": content, "client_id": client_id})
        while True:
            post = (await self.receive_next("message"))["message"]
            if post["author"] == self.username and post["client_id"] == client_id:
                return post

    async def closed_with(self, timeout: float = 5) -> int:
        """Read until the server closes this socket; returns the close code."""
        while True:
            output = await self.communicator.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return output["code"]

    async def close(self) -> None:
        await self.communicator.disconnect()


def communicator_for(path: str = "/ws/wall/", headers: list | None = None, client: str | None = None):
    """A communicator on the real `wallsite.asgi.application`, from IP `client` if given."""
    from wallsite.asgi import application

    communicator = WebsocketCommunicator(
        application, path, headers=headers or [ORIGIN, (b"host", b"127.0.0.1")]
    )
    if client is not None:
        communicator.scope["client"] = (client, 50000)  # read by the app only once it starts
    return communicator


async def open_socket(
    path: str = "/ws/wall/", headers: list | None = None, client: str | None = None
) -> Socket:
    """Connect to the real `wallsite.asgi.application` and read the opening `messages` and `users`."""
    communicator = communicator_for(path, headers, client)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    sock = Socket(communicator)
    sock.history = await sock.receive_type("messages")
    sock.users = (await sock.receive_type("users"))["users"]
    return sock


@pytest.fixture
async def sockets(store):
    """Factory for connected sockets; every one is closed at the end of the test."""
    opened: list[Socket] = []

    async def factory(path: str = "/ws/wall/", client: str | None = None) -> Socket:
        sock = await open_socket(path, client=client)
        opened.append(sock)
        return sock

    yield factory
    for sock in opened:
        with contextlib.suppress(Exception):  # Already closed by the test or the server.
            await sock.close()
    await drain()
    # The process would stay in the group (WALL_MEMBER_LINGER) past the test's event loop.
    member = group_member()
    leaving = member.task
    member.stop()
    if leaving is not None:
        await asyncio.wait([leaving], timeout=5)


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    """Uploads go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def test_database_url() -> str:
    """DATABASE_URL of the test database pytest-django made (PostgreSQL pass only), for servers."""
    return postgres_test_database_url()


def postgres_test_database_url() -> str:
    """The test database's URL once pytest-django made it; skipped outside the PostgreSQL pass."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("multi-process tests run in the PostgreSQL pass (make test-services)")
    settings_dict = connection.settings_dict
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium per browser-test module (tests/browser_support.py)."""
    from playwright.sync_api import sync_playwright

    from .browser_support import launch_chromium

    playwright = sync_playwright().start()
    try:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def workdir():
    """A folder the postgres user can use too (pytest's tmp folders are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="wall-test-"))
    yield path
    if not os.environ.get("WALL_TEST_KEEP_LOGS"):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def own_redis(workdir):
    from .ownservices import OwnRedis

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = OwnRedis(workdir)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture(scope="module")
def own_database_url() -> Iterator[str]:
    """A PostgreSQL database of the module's own, dropped after it (PostgreSQL pass only), for
    server processes beside a browser: Playwright's sync API keeps an event loop running, where
    Django refuses a django_db mark's teardown flush, and without any such mark in the session
    pytest-django makes no test database at all."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        pytest.skip("multi-process tests run in the PostgreSQL pass (make test-services)")
    server = urlparse(base)
    name = f"wall_notice_{uuid.uuid4().hex[:8]}"
    admin = f"host={server.hostname} port={server.port or 5432} user={server.username} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield server._replace(path=f"/{name}").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


def shared_redis_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment for server processes on `database_url` and the shared test Redis under a fresh
    key prefix, migrated; Redis unreachable skips (a failure under CI)."""
    from .servers import migrate, server_env

    require_service(TEST_REDIS_URL, 6379, "Redis")
    env = server_env(
        DATABASE_URL=database_url,
        REDIS_URL=TEST_REDIS_URL,
        WALL_REDIS_PREFIX=f"walltest-{uuid.uuid4().hex[:10]}",
        DJANGO_CONN_MAX_AGE="0",
        **extra,
    )
    migrate(env)
    return env
