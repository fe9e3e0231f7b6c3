"""The compose shape without Docker: Debian's nginx with deploy/nginx.conf in front of one uvicorn and
one daphne (started as the image and docs/deploy.md start them), on one Redis and PostgreSQL.

The deployment is shared by the module, in this order: the proxy forwards the client's address, a page
survives the death and restart of its process, the admin form posts, an idle socket lives through a
silent minute (opened first: its minute starts at the last frame it got, so the wait overlaps the tests
that send it nothing), and /media/ is served by nginx itself (last: it stops both processes).
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from .browser_support import choose_name, open_wall, posts, save_screenshot, send, status
from .conftest import TEST_REDIS_URL, require_service
from .imagefiles import png
from .proxy import DEPLOY_CONF, DeployConfChanged, local_substitutions, render, start_nginx
from .servers import ROOT, ServerProcess, free_port, migrate, server_env, start_server
from .wsclient import WallClient

IDLE_SECONDS = 65
SPOOFED = "203.0.113.9"  # what a client claims in its own X-Forwarded-For; the proxy must replace it


# --- the commands the deployment runs ---------------------------------------------------------------


def replace_option(argv: list[str], option: str, value: str) -> list[str]:
    """`argv` with the value after `option` replaced; the option must be there exactly once."""
    assert argv.count(option) == 1, f"{option} is not in {shlex.join(argv)} exactly once"
    index = argv.index(option) + 1
    return [*argv[:index], value, *argv[index + 1 :]]


def uvicorn_as_in_the_image(port: int) -> list[str]:
    """The Dockerfile's CMD (what compose's web and web2 run), on 127.0.0.1:`port`."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(r"^CMD (\[.*\])\s*$", text, flags=re.MULTILINE)
    assert match, "no CMD [...] line in the Dockerfile"
    program, *argv = json.loads(match.group(1))
    assert program == "uvicorn", f"the image no longer runs uvicorn: {program}"
    argv = replace_option(replace_option(argv, "--host", "127.0.0.1"), "--port", str(port))
    return ["-m", "uvicorn", *argv]


def daphne_as_documented(port: int) -> list[str]:
    """The daphne line of docs/deploy.md ("# or: daphne ..."), on 127.0.0.1:`port`."""
    lines = (ROOT / "docs" / "deploy.md").read_text().splitlines()
    documented = [line.split("# or:", 1)[1] for line in lines if line.strip().startswith("# or: daphne ")]
    assert len(documented) == 1, "docs/deploy.md should show one `# or: daphne ...` command"
    program, *argv = shlex.split(documented[0])
    argv = replace_option(replace_option(argv, "--bind", "127.0.0.1"), "--port", str(port))
    return ["-m", program, *argv]


def daphne_silent(port: int) -> list[str]:
    """The documented daphne without its 20 s keepalive pings, so the idle socket it serves carries no
    frame at all and the idle test measures the proxy's own timeouts."""
    return [*daphne_as_documented(port), "--ping-interval", "3600"]


DEPLOYED_COMMANDS: dict[str, Callable[[int], list[str]]] = {
    "uvicorn": uvicorn_as_in_the_image,
    "daphne": daphne_silent,
}

# A socket the process accepted, as each server logs it (uvicorn at INFO, daphne's access log).
SOCKET_ACCEPTED = re.compile(r'"WebSocket /ws/wall/\S*" \[accepted\]|"WSCONNECT /ws/wall/')


# --- rendering deploy/nginx.conf -----------------------------------------------------------------------


def example_substitutions() -> list:
    return local_substitutions(
        upstreams=["127.0.0.1:9001", "127.0.0.1:9002"],
        port=9000,
        static_root=Path("/tmp/wall/static"),
        media_root=Path("/tmp/wall/media"),
    )


def test_rendering_the_deploy_file_changes_only_the_substituted_lines() -> None:
    original = DEPLOY_CONF.read_text()
    rendered = render(original, example_substitutions())
    changed = [
        (before, after)
        for before, after in zip(original.splitlines(), rendered.splitlines(), strict=True)
        if before != after
    ]
    assert [after.strip() for _, after in changed] == [
        "server 127.0.0.1:9001 max_fails=1 fail_timeout=5s;",
        "server 127.0.0.1:9002 max_fails=1 fail_timeout=5s;",
        "listen 127.0.0.1:9000;",
        "alias /tmp/wall/static/;",
        "alias /tmp/wall/media/$1;",
    ]


@pytest.mark.parametrize("substitution", example_substitutions(), ids=lambda substitution: substitution.what)
def test_rendering_fails_loudly_when_the_deploy_file_lacks_a_substituted_line(substitution) -> None:
    original = DEPLOY_CONF.read_text()
    line = next(re.finditer(substitution.pattern, original, flags=re.MULTILINE)).group(0)
    with pytest.raises(DeployConfChanged, match=substitution.what):
        render(original.replace(line, "    # (line removed)\n"), example_substitutions())


def test_the_processes_run_the_images_command_and_the_documented_daphne_line() -> None:
    uvicorn = uvicorn_as_in_the_image(8123)
    assert {"--proxy-headers", "--forwarded-allow-ips", "--ws"} <= set(uvicorn)
    assert uvicorn[uvicorn.index("--port") + 1] == "8123"
    daphne = daphne_as_documented(8124)
    assert "--proxy-headers" in daphne
    assert daphne[daphne.index("--bind") + 1] == "127.0.0.1"


# --- the deployment ------------------------------------------------------------------------------------


@dataclass
class Deployment:
    nginx: ServerProcess
    servers: dict[str, ServerProcess]
    env: dict[str, str]
    workdir: Path
    media_root: Path

    @property
    def url(self) -> str:
        return self.nginx.http_url

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.nginx.port}/ws/wall/"

    def sockets_accepted(self) -> dict[str, int]:
        """How many sockets each process has accepted so far, by its log."""
        return {kind: len(SOCKET_ACCEPTED.findall(server.log())) for kind, server in self.servers.items()}

    def restart(self, kind: str) -> ServerProcess:
        """Start `kind` again on its port, after it died."""
        port = self.servers[kind].port
        self.servers[kind] = start_server(
            kind, self.env, self.workdir, f"{kind}-restarted", port, DEPLOYED_COMMANDS[kind]
        )
        return self.servers[kind]


def collectstatic(env: dict[str, str]) -> None:
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


@pytest.fixture(scope="module")
def deployment(own_database_url) -> Iterator[Deployment]:
    """nginx on a free port with deploy/nginx.conf, balancing one uvicorn and one daphne that share
    the test database, one Redis prefix, MEDIA_ROOT and the static root, with compose's settings."""
    from .proxy import nginx_binary

    nginx_binary()
    require_service(TEST_REDIS_URL, 6379, "Redis")
    database_url = own_database_url
    # nginx's workers drop root: the folder must be readable by them (mkdtemp makes it private).
    workdir = Path(tempfile.mkdtemp(prefix="wall-deployed-"))
    workdir.chmod(0o755)
    static_root, media_root = workdir / "static", workdir / "media"
    media_root.mkdir()
    port = free_port()
    proxied = ",".join(f"http://{host}:{port}" for host in ("localhost", "127.0.0.1"))
    env = server_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=f"deployed-test-{uuid.uuid4().hex}",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_ALLOWED_HOSTS="localhost,127.0.0.1,[::1]",
        DJANGO_CSRF_TRUSTED_ORIGINS=proxied,
        DATABASE_URL=database_url,
        DJANGO_CONN_MAX_AGE="0",  # its database is dropped after the module (conftest.own_database_url)
        REDIS_URL=TEST_REDIS_URL,
        WALL_REDIS_PREFIX=f"walldeployed-{os.getpid()}-{uuid.uuid4().hex[:8]}",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_MEDIA_ROOT=str(media_root),
        DJANGO_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",  # as in the image; the tests read the servers' logs as they go
    )
    migrate(env)
    collectstatic(env)
    servers: dict[str, ServerProcess] = {}
    nginx = None
    try:
        for kind, command in DEPLOYED_COMMANDS.items():
            servers[kind] = start_server(kind, env, workdir, kind, command=command)
        substitutions = local_substitutions(
            upstreams=[f"127.0.0.1:{servers['uvicorn'].port}", f"127.0.0.1:{servers['daphne'].port}"],
            port=port,
            static_root=static_root,
            media_root=media_root,
        )
        nginx = start_nginx(workdir / "nginx", render(DEPLOY_CONF.read_text(), substitutions), port)
        yield Deployment(nginx, servers, env, workdir, media_root)
    finally:
        if nginx is not None:
            nginx.stop()
        for server in servers.values():
            server.stop()
        if not os.environ.get("WALL_TEST_KEEP_LOGS"):
            shutil.rmtree(workdir, ignore_errors=True)


def get_from(deployment: Deployment, path: str, source: str, headers: dict[str, str]) -> int:
    address = ("127.0.0.1", deployment.nginx.port)
    connection = http.client.HTTPConnection(*address, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@dataclass
class IdleSocket:
    """A socket through the proxy that sends nothing; a thread notes when each frame arrives."""

    connection: ClientConnection
    source: str
    opened_at: float = field(default_factory=time.monotonic)
    arrivals: list[tuple[float, dict]] = field(default_factory=list)
    closed: ConnectionClosed | None = None

    def read(self) -> None:
        try:
            while True:
                frame = json.loads(self.connection.recv())
                self.arrivals.append((time.monotonic(), frame))
        except ConnectionClosed as closed:
            self.closed = closed

    def quiet_for(self) -> float:
        """Seconds since the last frame arrived (or the socket opened)."""
        return time.monotonic() - (self.arrivals[-1][0] if self.arrivals else self.opened_at)


def connect_from(deployment: Deployment, source: str) -> ClientConnection:
    """A socket through the proxy from loopback address `source` that sends nothing of its own (no
    keepalive pings) and buffers whatever arrives."""
    sock = socket.create_connection(("127.0.0.1", deployment.nginx.port), source_address=(source, 0))
    return connect(
        deployment.ws_url,
        sock=sock,
        origin=deployment.url,
        ping_interval=None,
        max_queue=None,
        open_timeout=10,
        legacy=True,
    )


def served_by(deployment: Deployment, source: str) -> list[str]:
    """The processes whose logs show a request from loopback address `source` (within 3 s)."""
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        kinds = [kind for kind, server in deployment.servers.items() if f"{source}:" in server.log()]
        if kinds:
            return kinds
        time.sleep(0.05)
    return []


@pytest.fixture(scope="module")
def idle_socket(deployment: Deployment) -> Iterator[IdleSocket]:
    """A socket on daphne (its keepalive pings off) through the proxy, opened with the deployment so
    its quiet minute overlaps the tests that send it nothing. Each try comes from its own loopback
    address, so the server logs show where it landed."""
    for attempt in range(6):
        source = f"127.0.0.{10 + attempt}"
        connection = connect_from(deployment, source)
        if served_by(deployment, source) == ["daphne"]:
            idle = IdleSocket(connection, source)
            reader = threading.Thread(target=idle.read, daemon=True)
            reader.start()
            yield idle
            connection.close()
            reader.join(timeout=5)
            return
        connection.close()
        get_from(deployment, "/healthz", "127.0.0.1", {})  # moves nginx's round robin on by one
    pytest.fail("nginx never put the idle socket on daphne in 6 tries")


# --- through the proxy ---------------------------------------------------------------------------------


@pytest.mark.multiprocess
def test_the_proxy_forwards_the_clients_address_not_the_clients_own_header(
    deployment: Deployment, idle_socket: IdleSocket
) -> None:
    probe = f"/healthz?probe={uuid.uuid4().hex}"
    for _ in range(6):  # round robin: a few requests reach both processes
        assert get_from(deployment, probe, "127.0.0.2", {"X-Forwarded-For": SPOOFED}) == 200
    for kind, server in deployment.servers.items():
        lines = [line for line in server.log().splitlines() if probe in line]
        assert lines, f"{kind} never logged {probe}"
        assert all("127.0.0.2:" in line and SPOOFED not in line for line in lines), lines
    # Sockets too: the idle socket's own address is what its process logged.
    assert idle_socket.source in deployment.servers["daphne"].log()


# --- a page through the proxy, and the restart of its process ----------------------------------------


def socket_landed_on(deployment: Deployment, before: dict[str, int]) -> str:
    """Which process accepted the one socket opened since `before` (by their logs)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        grown = [kind for kind, count in deployment.sockets_accepted().items() if count > before[kind]]
        if grown:
            assert len(grown) == 1, f"a socket opened on both processes at once: {grown}"
            return grown[0]
        time.sleep(0.05)
    raise AssertionError("no process logged the page's socket")


def open_page_on(browser: Browser, deployment: Deployment, kind: str) -> Page:
    """A page through the proxy whose socket nginx gave to `kind` (a fresh page until it does)."""
    for _ in range(8):
        before = deployment.sockets_accepted()
        page = open_wall(browser, deployment.url)
        expect(status(page)).to_have_attribute("data-state", "live")
        if socket_landed_on(deployment, before) == kind:
            return page
        page.context.close()
        get_from(deployment, "/healthz", "127.0.0.1", {})  # moves nginx's round robin on by one
    raise AssertionError(f"nginx never gave a page's socket to {kind} in 8 tries")


@pytest.mark.multiprocess
@pytest.mark.browser
def test_a_page_whose_process_dies_resumes_on_the_other_through_the_proxy_and_misses_nothing(
    browser: Browser, deployment: Deployment, idle_socket: IdleSocket
) -> None:
    doomed, survivor = "uvicorn", "daphne"
    alice = open_page_on(browser, deployment, doomed)
    choose_name(alice, "Alice")
    bob = open_page_on(browser, deployment, survivor)
    choose_name(bob, "Bob")
    send(alice, "Hello through the proxy")
    for page in (alice, bob):
        expect(posts(page, "Hello through the proxy")).to_have_count(1)

    # Alice's process hangs: it keeps her socket open and delivers nothing.
    deployment.servers[doomed].process.send_signal(signal.SIGSTOP)
    meanwhile = [f"Bob while Alice's process hangs, {n}" for n in (1, 2, 3)]
    for text in meanwhile:
        send(bob, text)
        expect(posts(bob, text)).to_have_count(1)
    typed = "Alice typed this while cut off"
    send(alice, typed)
    expect(alice.locator("#pending .post")).to_contain_text(typed)
    expect(posts(alice, meanwhile[-1])).to_have_count(0)

    # It dies; the page reconnects through nginx, which now has only the other process.
    before = deployment.sockets_accepted()
    deployment.servers[doomed].kill(signal.SIGKILL)
    assert socket_landed_on(deployment, before) == survivor
    expect(status(alice)).to_have_attribute("data-state", "live", timeout=15_000)
    for page in (alice, bob):
        for text in ["Hello through the proxy", *meanwhile, typed]:
            expect(posts(page, text)).to_have_count(1, timeout=10_000)
    expect(alice.locator("#pending .post")).to_have_count(0)
    save_screenshot(alice, "deployed-after-restart.png")

    # Started again, it gets traffic from the proxy once nginx's fail_timeout (5 s) has passed.
    restarted = deployment.restart(doomed)
    probe = f"/healthz?probe={uuid.uuid4().hex}"
    deadline = time.monotonic() + 15
    while probe not in restarted.log():
        assert time.monotonic() < deadline, "nginx never sent a request to the restarted process"
        get_from(deployment, probe, "127.0.0.1", {})
        time.sleep(0.5)
    for page in (alice, bob):
        page.context.close()


# --- settings for the proxy's address ----------------------------------------------------------------


@pytest.mark.multiprocess
def test_the_admin_login_form_posts_through_the_proxy(deployment: Deployment) -> None:
    """nginx forwards Host without its port, so only DJANGO_CSRF_TRUSTED_ORIGINS lets the form's Origin in."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = f"{deployment.url}/admin/login/"
    with opener.open(login, timeout=10) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    fields = {"csrfmiddlewaretoken": token, "username": "nobody", "password": "wrong", "next": "/admin/"}
    request = urllib.request.Request(
        login,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Origin": deployment.url, "Referer": login},
    )
    with opener.open(request, timeout=10) as response:
        assert response.status == 200
        assert "Please enter the correct username and password" in response.read().decode()


# --- idle sockets ------------------------------------------------------------------------------------


@pytest.mark.multiprocess
def test_an_idle_socket_through_the_proxy_lives_through_a_silent_minute_and_still_receives(
    deployment: Deployment, idle_socket: IdleSocket
) -> None:
    """Nothing crosses the proxy on this socket for over 60 s (nginx's default proxy_read_timeout)."""
    while (quiet := idle_socket.quiet_for()) < IDLE_SECONDS:
        time.sleep(IDLE_SECONDS - quiet)
    if idle_socket.closed:
        pytest.fail(f"the idle socket was closed after {idle_socket.quiet_for():.0f} s: {idle_socket.closed}")
    poster = WallClient(deployment.ws_url)
    poster.join(username="Late")
    poster.send("message", {"content": "still there after a quiet minute?", "client_id": "c-idle"})
    deadline = time.monotonic() + 10
    while not any(frame_is_post(frame, "c-idle") for _, frame in idle_socket.arrivals):
        if idle_socket.closed:
            pytest.fail(f"the idle socket was closed before the post reached it: {idle_socket.closed}")
        assert time.monotonic() < deadline, "the post never reached the idle socket"
        time.sleep(0.05)
    poster.close()


def frame_is_post(frame: dict, client_id: str) -> bool:
    return frame["type"] == "message" and frame["data"]["message"]["client_id"] == client_id


# --- /media/ ---------------------------------------------------------------------------------------------


def upload_image(deployment: Deployment, data: bytes, token: str) -> dict:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="picture.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{deployment.url}/api/images/",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-Wall-Token": token},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.loads(response.read())


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.multiprocess
def test_an_uploaded_image_is_served_from_media_by_nginx_itself(deployment: Deployment) -> None:
    token = WallClient(deployment.ws_url).join(username="Photographer")["token"]
    image = upload_image(deployment, png((120, 80)), token)
    stored = (deployment.media_root / image["url"].removeprefix("/media/")).read_bytes()
    code, headers, body = fetch(f"{deployment.url}{image['url']}")
    assert (code, headers["Content-Type"], body) == (200, "image/png", stored)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    # With both wall processes gone, pages fail at the proxy but the image is still there.
    for server in deployment.servers.values():
        server.stop()
    assert fetch(f"{deployment.url}/healthz")[0] == 502
    code, _, body = fetch(f"{deployment.url}{image['url']}")
    assert (code, body) == (200, stored)
