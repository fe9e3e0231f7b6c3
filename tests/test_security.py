"""Hardened edges: WebSocket origin, security headers, CSRF, `check --deploy`, the required secret."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from .conftest import communicator_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db(transaction=True)
async def test_a_websocket_from_the_sites_own_origin_is_accepted(store):
    communicator = communicator_for(headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.disconnect()


@pytest.mark.parametrize(
    "headers",
    [
        [(b"origin", b"http://evil.example"), (b"host", b"127.0.0.1")],
        [(b"origin", b"http://127.0.0.1.evil.example"), (b"host", b"127.0.0.1")],
        [(b"origin", b"null"), (b"host", b"127.0.0.1")],
        [(b"host", b"127.0.0.1")],
    ],
    ids=["foreign", "lookalike", "null", "missing"],
)
async def test_a_websocket_from_a_foreign_or_missing_origin_is_refused(headers):
    """Through the real `wallsite.asgi.application`: refused before the consumer (HTTP 403 under daphne)."""
    communicator = communicator_for(headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


@pytest.fixture
def page() -> object:
    response = Client().get("/")
    assert response.status_code == 200
    return response


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_the_page_allows_scripts_and_styles_from_its_own_origin_only(page):
    directives = csp_directives(page)
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    assert "unsafe" not in page["Content-Security-Policy"]


def test_the_page_cannot_be_framed(page):
    assert csp_directives(page)["frame-ancestors"] == ["'none'"]
    assert page["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("header", "value"),
    [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")],
)
def test_the_page_sends_security_header(page, header, value):
    assert page[header] == value


class _InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts, handlers, styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("inline <style>")
        for name, value in attrs:
            if name.startswith("on") or name == "style" or (value or "").strip().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=...>")


def test_the_page_has_no_inline_script_or_style(page):
    parser = _InlineCode()
    parser.feed(page.content.decode())
    assert parser.found == []


@pytest.mark.django_db
def test_every_page_form_that_posts_needs_a_csrf_token():
    """The wall's own forms never post (the page talks over the socket); the admin's do, with CSRF."""
    body = Client().get("/").content.decode()
    assert not re.search(r"<form[^>]*method=[\"']?post", body, re.IGNORECASE)
    login = Client(enforce_csrf_checks=True).get("/admin/login/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in login


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process with only `env` for the settings (no DJANGO_*/WALL_* inherited)."""
    base = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "WALL_"))}
    base.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECURE_COOKIES="1",
        DJANGO_SECURE_SSL_REDIRECT="1",
        DJANGO_HSTS_SECONDS="31536000",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="1",
        DJANGO_HSTS_PRELOAD="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_without_debug_a_missing_secret_key_stops_startup_naming_the_variable():
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_SECRET_KEY is required" in result.stderr


def test_the_env_file_with_secrets_is_git_ignored():
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_example_env_file_lists_every_variable_compose_reads():
    compose_reads = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert compose_reads - listed == set()
