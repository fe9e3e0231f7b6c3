"""Helpers for the browser tests: Chromium, a wall server on a fresh SQLite file, and page actions."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from tests import servers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = servers.ROOT / "test-results" / "browser"
DOCS_SCREENSHOT = servers.ROOT / "docs" / "screenshot.png"
DOCS_PHONE_SCREENSHOT = servers.ROOT / "docs" / "screenshot-phone.png"


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium; skipped with a reason when it is missing, a failure under CI."""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(message)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class Wall:
    """A daphne process serving the wall from its own SQLite file (in-memory layer, one process)."""

    server: servers.ServerProcess
    env: dict[str, str]
    db_path: Path
    log_dir: Path

    @property
    def url(self) -> str:
        return self.server.http_url

    def restart_on_same_port(self) -> None:
        """Start a new server on the port the browsers know, with the same database."""
        self.server.stop()
        self.server = servers.start_daphne(self.env, self.log_dir, name="restarted", port=self.server.port)

    def count_posts(self, content: str | None = None) -> int:
        """Saved posts with exactly this content, or all visible posts."""
        with contextlib.closing(sqlite3.connect(self.db_path)) as connection:
            if content is None:
                return connection.execute("SELECT COUNT(*) FROM wall_post WHERE NOT is_hidden").fetchone()[0]
            query = "SELECT COUNT(*) FROM wall_post WHERE content = ?"
            return connection.execute(query, [content]).fetchone()[0]


def start_wall(folder: Path, **env: str) -> Wall:
    """Migrate a fresh SQLite file in `folder` and serve it; a closed page is announced as gone in 0.5 s."""
    db_path = folder / "db.sqlite3"
    env = {"WALL_PRESENCE_LEAVE_GRACE": "0.5", **env}
    server_env = servers.server_env(DATABASE_URL=f"sqlite:///{db_path}", REDIS_URL=None, **env)
    servers.migrate(server_env)
    return Wall(servers.start_daphne(server_env, folder), server_env, db_path, folder)


def open_wall(browser: Browser, url: str, **context_options) -> Page:
    """A page in its own context (so its own localStorage), with the wall loaded."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **context_options})
    page = context.new_page()
    page.goto(url)
    return page


def just_read(page: Page) -> None:
    """Close the name picker without a name."""
    page.get_by_role("button", name="Just read for now").click()
    expect(page.locator("#picker")).to_be_hidden()


def choose_name(page: Page, name: str) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Use this name").click()
    expect(page.locator("#me-name")).to_have_text(name)


def pick_random_name(page: Page) -> str:
    page.get_by_role("button", name="Pick for me").click()
    expect(page.locator("#picker")).to_be_hidden()
    expect(page.locator("#me-name")).not_to_be_empty()
    return page.locator("#me-name").inner_text()


def send(page: Page, text: str) -> None:
    draft = page.get_by_label("Your post", exact=True)
    draft.fill(text)
    draft.press("Enter")


def posts(page: Page, text: str) -> Locator:
    """Confirmed posts whose text is exactly `text`."""
    content = page.locator(".post-content").get_by_text(text, exact=True)
    return page.locator("#posts .post").filter(has=content)


def status(page: Page) -> Locator:
    return page.locator("#status")


def save_screenshot(page: Page, name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    page.screenshot(path=path)
    return path


def maybe_update_docs_screenshot(path: Path, target: Path = DOCS_SCREENSHOT) -> None:
    """Copy a screenshot to docs/ only when asked (WALL_UPDATE_SCREENSHOT=1), so test runs leave git clean."""
    if os.environ.get("WALL_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(path, target)


AXE = servers.ROOT / "tests" / "assets" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
    const result = await axe.run(document, { resultTypes: ["violations"] });
    const where = (v) => v.nodes.map((n) => n.target.join(" ")).join(", ");
    return result.violations.map((v) => `${v.id}: ${v.help} at ${where(v)}`);
}"""


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on the page as it is now (the vendored axe.min.js, run beside the page's CSP)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(AXE_RUN)


def post_line_count(page: Page) -> int:
    """Confirmed posts wholly inside the feed's visible box."""
    return page.evaluate(
        """() => {
            const box = document.getElementById("feed").getBoundingClientRect();
            return [...document.querySelectorAll("#posts .post")].filter((post) => {
                const rect = post.getBoundingClientRect();
                return rect.top >= box.top - 1 && rect.bottom <= box.bottom + 1;
            }).length;
        }"""
    )


def last_post_fully_visible(page: Page) -> bool:
    """The newest post lies wholly inside the feed's visible box, above the composer."""
    return page.evaluate(
        """() => {
            const box = document.getElementById("feed").getBoundingClientRect();
            const posts = document.querySelectorAll("#posts .post");
            const last = posts[posts.length - 1].getBoundingClientRect();
            return last.top >= box.top - 1 && last.bottom <= box.bottom + 1 && last.height > 0;
        }"""
    )


@contextlib.contextmanager
def named_page(browser: Browser, url: str, name: str, **context_options) -> Iterator[Page]:
    """A page that chose `name`, closed afterwards."""
    page = open_wall(browser, url, **context_options)
    choose_name(page, name)
    try:
        yield page
    finally:
        page.context.close()


@contextlib.contextmanager
def wall_with_media(folder: Path, **env: str) -> Iterator[Wall]:
    """A wall with its own uploads folder and no post rate limit, stopped afterwards."""
    wall = start_wall(folder, WALL_POST_RATE="off", DJANGO_MEDIA_ROOT=str(folder / "media"), **env)
    try:
        yield wall
    finally:
        wall.server.stop()
