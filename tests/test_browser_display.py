"""The big-screen view in a real Chromium (issue 13, 9): /display/ shows the wall for a projector."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import servers
from tests.browser_support import (
    Wall,
    axe_violations,
    named_page,
    posts,
    save_screenshot,
    send,
    start_wall,
)

pytestmark = pytest.mark.browser

MODERATOR = ("moderator", "a-long-test-password-1")
FULL_HD = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    wall = start_wall(tmp_path_factory.mktemp("display"), WALL_POST_RATE="off")
    username, password = MODERATOR
    command = [
        "manage.py",
        "createsuperuser",
        "--noinput",
        "--username",
        username,
        "--email",
        "m@example.org",
    ]
    env = {**wall.env, "DJANGO_SUPERUSER_PASSWORD": password}
    subprocess.run([sys.executable, *command], cwd=servers.ROOT, env=env, check=True)
    yield wall
    wall.server.stop()


@pytest.fixture(scope="module")
def alice(browser: Browser, wall: Wall) -> Iterator[Page]:
    with named_page(browser, wall.url, "Alice") as page:
        for text in ("Welcome to the conference!", "Talks start at 9:30 in hall B"):
            send(page, text)
        yield page


@pytest.fixture(scope="module")
def screen(browser: Browser, wall: Wall, alice: Page) -> Iterator[Page]:
    context = browser.new_context(viewport=FULL_HD)
    page = context.new_page()
    page.goto(f"{wall.url}/display/")
    yield page
    context.close()


def hide_in_the_admin(browser: Browser, wall: Wall, post_id: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{wall.url}/admin/login/")
    page.get_by_label("Username").fill(MODERATOR[0])
    page.get_by_label("Password").fill(MODERATOR[1])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{wall.url}/admin/wall/post/{post_id}/change/")
    page.get_by_label("Is hidden").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    context.close()


def test_the_display_shows_posts_large_and_dark_with_a_join_code_and_no_composer(
    screen: Page, wall: Wall
) -> None:
    expect(posts(screen, "Talks start at 9:30 in hall B")).to_have_count(1)
    expect(screen.locator("#draft")).to_have_count(0)
    expect(screen.locator("#picker")).to_have_count(0)
    expect(screen.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    expect(screen.locator("#qr")).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    address = wall.url.split("://", 1)[1].rstrip("/")
    expect(screen.locator("#join-address")).to_have_text(address)
    size = screen.locator(".post-content").first.evaluate(
        "(node) => parseFloat(getComputedStyle(node).fontSize)"
    )
    assert size >= 24, size
    background = screen.evaluate("getComputedStyle(document.body).backgroundColor")
    assert max(int(part) for part in re.findall(r"\d+", background)[:3]) < 40, background
    assert axe_violations(screen) == []


def test_a_new_post_is_animated_in_at_the_bottom(screen: Page, alice: Page) -> None:
    send(alice, "Coffee is ready in the foyer")
    newest = posts(screen, "Coffee is ready in the foyer")
    expect(newest).to_have_class(re.compile(r"\bis-arriving\b"))
    expect(newest).to_be_in_viewport(ratio=1)
    assert screen.locator("#posts .post").last.get_attribute("id") == newest.get_attribute("id")
    save_screenshot(screen, "display.png")


def test_a_post_hidden_by_a_moderator_leaves_the_display_at_once(
    browser: Browser, wall: Wall, screen: Page, alice: Page
) -> None:
    send(alice, "Something to moderate")
    shown = posts(screen, "Something to moderate")
    expect(shown).to_have_count(1)
    hide_in_the_admin(browser, wall, shown.get_attribute("data-id"))
    expect(shown).to_have_count(0)
