"""deploy/nginx.conf run by Debian's nginx for a test: the same file, with local upstreams, port and roots."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from .servers import ROOT, ServerProcess

DEPLOY_CONF = ROOT / "deploy" / "nginx.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")

# What the official nginx image's /etc/nginx/nginx.conf sets around the conf.d file compose mounts,
# with every path in the test's own folder so nginx runs beside the machine's (if any) without root paths.
MAIN_CONF = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log notice;
events {{
    worker_connections 1024;
}}
http {{
    include {mime_types};
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {prefix}/temp/client_body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    include {prefix}/wall.conf;
}}
"""


class DeployConfChanged(AssertionError):
    """deploy/nginx.conf no longer has a line the test rewrites: fix the substitution, not the test."""


@dataclass(frozen=True)
class Substitution:
    """Replace group 1 of `pattern`, which must match exactly one line of the deploy file."""

    what: str
    pattern: str
    new: str


def local_substitutions(
    *, upstreams: Sequence[str], port: int, static_root: Path, media_root: Path
) -> list[Substitution]:
    """The only changes made to deploy/nginx.conf: where the processes, the port and the volumes are."""
    web, web2 = upstreams
    return [
        Substitution("upstream web", r"^\s*server (web:8000) ", web),
        Substitution("upstream web2", r"^\s*server (web2:8000) ", web2),
        Substitution("listen port", r"^\s*listen (80);", f"127.0.0.1:{port}"),
        Substitution("static volume", r"^\s*alias (/srv/static)/;", str(static_root)),
        Substitution("media volume", r"^\s*alias (/srv/media)/\$1;", str(media_root)),
    ]


def render(text: str, substitutions: Sequence[Substitution]) -> str:
    """`text` with every substitution applied; raises DeployConfChanged unless each matched exactly once."""
    for substitution in substitutions:
        matches = list(re.finditer(substitution.pattern, text, flags=re.MULTILINE))
        if len(matches) != 1:
            raise DeployConfChanged(
                f"{substitution.what}: expected one line matching {substitution.pattern!r} in "
                f"{DEPLOY_CONF.relative_to(ROOT)}, found {len(matches)}"
            )
        start, end = matches[0].span(1)
        text = text[:start] + substitution.new + text[end:]
    return text


def nginx_binary() -> str:
    """Debian's nginx; skipped with a reason when it is missing, a failure under CI."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None or not MIME_TYPES.exists():
        message = "nginx is not installed (apt-get install nginx)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI=true requires it (.ci/run installs it)")
        pytest.skip(message)
    return binary


def start_nginx(prefix: Path, deploy_conf: str, port: int) -> ServerProcess:
    """Run nginx in the foreground with `deploy_conf` (already rendered) in `prefix`; wait for /healthz.
    Its error log, and anything it prints, is the process's log."""
    (prefix / "temp").mkdir(parents=True, exist_ok=True)
    (prefix / "wall.conf").write_text(deploy_conf)
    main_conf = prefix / "nginx.conf"
    main_conf.write_text(MAIN_CONF.format(prefix=prefix, mime_types=MIME_TYPES))
    log_path = prefix / "error.log"
    command = [nginx_binary(), "-p", str(prefix), "-c", str(main_conf), "-e", str(log_path)]
    process = subprocess.Popen(
        command, stdout=log_path.open("a"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    nginx = ServerProcess(process, port, log_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited early:\n{nginx.log()}")
        # Refused until nginx listens; 502 until an upstream answers.
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{nginx.http_url}/healthz", timeout=2):
            return nginx
        time.sleep(0.2)
    nginx.stop()
    raise RuntimeError(f"nginx did not answer /healthz in 20 s:\n{nginx.log()}")
