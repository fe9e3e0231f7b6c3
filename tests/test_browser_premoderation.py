"""Held posts in a real Chromium (WALL_PREMODERATION=1): the author sees a post waiting, a moderator
approves it from the queue on the page, and it appears on a reader's page."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser_support import (
    Wall,
    axe_violations,
    choose_name,
    just_read,
    open_wall,
    posts,
    send,
    start_wall,
)
from tests.servers import ROOT
from tests.test_browser_moderation import MAKE_MODERATOR, moderator_page, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    wall = start_wall(tmp_path_factory.mktemp("premoderation"), WALL_PREMODERATION="1")
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MAKE_MODERATOR],
        cwd=ROOT,
        env=wall.env,
        check=True,
        capture_output=True,
    )
    yield wall
    wall.server.stop()


def test_a_held_post_is_approved_and_appears_on_a_readers_page(browser: Browser, wall: Wall):
    moderator = moderator_page(browser, wall)
    author = open_wall(browser, wall.url)
    choose_name(author, "Guest")
    reader = open_wall(browser, wall.url)
    just_read(reader)
    send(author, "When does the talk start?")
    send(author, "Is there coffee?")
    waiting = posts(author, "When does the talk start?")
    expect(waiting.locator(".post-status")).to_have_text("Waiting for a moderator: only you see it for now.")
    queue = moderator.locator("#held-queue")
    expect(queue).to_be_visible()
    expect(moderator.locator("#held-count")).to_have_text("2")
    expect(queue.locator(".held-item")).to_have_count(2)
    expect(posts(reader, "When does the talk start?")).to_have_count(0)
    shot(moderator, "held-queue.png")
    assert axe_violations(moderator) == []

    queue.locator(".held-item").filter(has_text="Is there coffee?").get_by_role(
        "button", name="Approve"
    ).click()
    queue.locator(".held-item").filter(has_text="When does the talk start?").get_by_role(
        "button", name="Approve"
    ).click()
    expect(queue).to_be_hidden()
    for page in (reader, moderator, author):
        expect(posts(page, "When does the talk start?")).to_have_count(1)
        expect(posts(page, "Is there coffee?")).to_have_count(1)
    # In the order of approval: the coffee question first, though it was written second.
    texts = reader.locator("#posts .post-content").all_inner_texts()
    assert texts == ["Is there coffee?", "When does the talk start?"]
    expect(posts(author, "When does the talk start?").locator(".post-status")).to_have_count(0)
    shot(reader, "reader-after-approval.png")

    send(author, "Thanks!")
    queue.locator(".held-item").get_by_role("button", name="Reject").click()
    expect(posts(author, "Thanks!")).to_have_count(0)
    expect(author.locator("#toasts")).to_contain_text("A moderator hid your post: rejected")
    expect(posts(reader, "Thanks!")).to_have_count(0)
    for page in (moderator, author, reader):
        page.context.close()
