"""Moderation on the wall's page in a real Chromium: a moderator hides and bans, the readers' and the
author's pages follow live; a banned author sees one banner, and posts again when a timed ban ends."""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import (
    Wall,
    axe_violations,
    choose_name,
    just_read,
    open_wall,
    posts,
    save_screenshot,
    send,
    start_wall,
    status,
)
from tests.servers import ROOT

pytestmark = pytest.mark.browser

PASSWORD = "a-long-moderator-password-1"
SHOTS = Path("/tmp/shots-moderation")
# A staff user in a "Moderators" group holding wall.moderate_post, as an admin would set it up.
MAKE_MODERATOR = f"""
from django.contrib.auth.models import Group, Permission, User
group = Group.objects.create(name="Moderators")
group.permissions.add(Permission.objects.get(codename="moderate_post"))
user = User.objects.create_user("mod", password="{PASSWORD}", is_staff=True)
user.groups.add(group)
"""


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    wall = start_wall(tmp_path_factory.mktemp("moderation"), WALL_REPORT_THRESHOLD="2")
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MAKE_MODERATOR],
        cwd=ROOT,
        env=wall.env,
        check=True,
        capture_output=True,
    )
    yield wall
    wall.server.stop()


def shot(page: Page, name: str) -> None:
    """A screenshot kept with the test results and in /tmp/shots-moderation/."""
    path = save_screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / name)


def moderator_page(browser: Browser, wall: Wall) -> Page:
    page = open_wall(browser, f"{wall.url}/admin/login/?next=/")
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#mod-badge")).to_be_visible()
    expect(page.locator("#mod-name")).to_have_text("mod")
    just_read(page)
    return page


def act(
    page: Page, post_text: str, button: str, reason: str = "spam", note: str = "", duration: str = ""
) -> None:
    posts(page, post_text).get_by_role("button", name=button).click()
    dialog = page.locator("#mod-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason").select_option(reason)
    if note:
        dialog.get_by_label("Note (shown to the author)").fill(note)
    if duration:
        dialog.get_by_label(duration).check()
    dialog.locator("#mod-confirm").click()
    expect(dialog).to_be_hidden()


def test_a_moderator_hides_and_bans_from_the_page_and_the_other_pages_follow(browser: Browser, wall: Wall):
    moderator = moderator_page(browser, wall)
    author = open_wall(browser, wall.url)
    choose_name(author, "Spammer")
    reader = open_wall(browser, wall.url)
    just_read(reader)
    send(author, "Cheap watches here")
    send(author, "A fair question")
    for page in (moderator, reader):
        expect(posts(page, "Cheap watches here")).to_have_count(1)
        expect(posts(page, "A fair question")).to_have_count(1)
    expect(posts(reader, "A fair question").get_by_role("button", name="Hide")).to_have_count(0)

    act(moderator, "Cheap watches here", "Hide", note="watch ads")
    expect(posts(reader, "Cheap watches here")).to_have_count(0)
    expect(posts(author, "Cheap watches here")).to_have_count(0)
    expect(author.locator("#toasts")).to_contain_text("A moderator hid your post: spam: watch ads")
    hidden = posts(moderator, "Cheap watches here")
    expect(hidden).to_have_class(has_class("is-moderated"))
    expect(hidden.locator(".mod-hidden-note")).to_have_text("Hidden by mod: spam: watch ads")
    expect(posts(reader, "A fair question")).to_have_count(1)
    shot(moderator, "moderator-page.png")
    assert axe_violations(moderator) == []

    act(moderator, "A fair question", "Ban author", reason="abuse", duration="1 hour")
    banner = author.locator("#ban-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("A moderator banned you from posting until")
    expect(banner).to_contain_text("Reason: abuse")
    expect(author.locator("#draft")).to_have_attribute("placeholder", starts_with("You are banned"))
    expect(author.locator("#picker")).to_be_hidden()  # never a name prompt
    expect(author.locator("#toasts .toast")).to_have_count(1)  # only the hide's; the ban is the banner
    expect(moderator.locator("#toasts")).to_contain_text("Spammer is banned until")
    # The ban closed the author's socket (1008); the page is back as a reader within a second or so.
    expect(status(author)).to_have_attribute("data-state", "live", timeout=10_000)
    expect(banner).to_be_visible()
    shot(author, "banned-user-page.png")
    assert axe_violations(author) == []

    moderator.reload()  # a fresh moderator page gets the hidden post greyed from the server
    expect(posts(moderator, "Cheap watches here").locator(".mod-hidden-note")).to_have_text(
        "Hidden by mod: spam: watch ads"
    )
    posts(moderator, "Cheap watches here").get_by_role("button", name="Unhide").click()
    expect(posts(reader, "Cheap watches here")).to_have_count(1)
    expect(posts(moderator, "Cheap watches here")).not_to_have_class(has_class("is-moderated"))
    for page in (moderator, author, reader):
        page.context.close()


def test_a_timed_ban_ends_and_the_author_posts_again_without_reloading(browser: Browser, wall: Wall):
    moderator = moderator_page(browser, wall)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    author = context.new_page()
    author.clock.install()
    author.goto(wall.url)
    choose_name(author, "Hasty")
    send(author, "Too hasty")
    act(moderator, "Too hasty", "Ban author", reason="other", note="cool off", duration="1 hour")
    expect(author.locator("#ban-banner")).to_be_visible()
    with contextlib.closing(sqlite3.connect(wall.db_path)) as connection, connection:
        connection.execute(
            "UPDATE wall_participant SET banned_until = '2000-01-01 00:00:00' WHERE username = 'Hasty'"
        )
    author.clock.fast_forward("01:00:05")
    expect(author.locator("#ban-banner")).to_be_hidden(timeout=10_000)
    send(author, "Calmer now")
    expect(posts(moderator, "Calmer now")).to_have_count(1)
    for page in (moderator, author):
        page.context.close()


def report_action(page: Page, post_text: str):
    """The Report entry of the post's action bar (shown on hover, actions.js)."""
    page.mouse.move(1, 1)  # a still pointer brings no bar: move, as a hand would
    posts(page, post_text).hover()
    return posts(page, post_text).locator(".post-actions").get_by_role("button", name="Report")


def report(page: Page, post_text: str, reason: str = "spam") -> None:
    report_action(page, post_text).click()
    dialog = page.locator("#report-dialog")
    dialog.get_by_label("Why").select_option(reason)
    dialog.get_by_role("button", name="Report").click()
    expect(dialog).to_be_hidden()


def test_reports_cross_the_threshold_and_the_post_is_hidden_everywhere(browser: Browser, wall: Wall):
    moderator = moderator_page(browser, wall)
    author = open_wall(browser, wall.url)
    choose_name(author, "Shouter")
    first, second, reader = (open_wall(browser, wall.url) for _ in range(3))
    choose_name(first, "Ann")
    choose_name(second, "Ben")
    just_read(reader)
    send(author, "ALL CAPS FOREVER")
    expect(report_action(author, "ALL CAPS FOREVER")).to_have_count(0)  # own
    expect(report_action(reader, "ALL CAPS FOREVER")).to_have_count(0)  # no name
    report(first, "ALL CAPS FOREVER")
    expect(posts(first, "ALL CAPS FOREVER").locator(".report-done")).to_have_text("Reported")
    expect(moderator.locator("#mod-reports")).to_have_text("1 reported")
    expect(posts(reader, "ALL CAPS FOREVER")).to_have_count(1)
    report(second, "ALL CAPS FOREVER", "abuse")
    for page in (reader, first, author):
        expect(posts(page, "ALL CAPS FOREVER")).to_have_count(0)
    expect(author.locator("#toasts")).to_contain_text(
        "Your post is hidden until a moderator looks at it: reported by 2 people"
    )
    hidden = posts(moderator, "ALL CAPS FOREVER")
    expect(hidden.locator(".mod-hidden-note")).to_have_text("Hidden by the wall: reported by 2 people")
    shot(moderator, "moderator-reported.png")
    for page in (moderator, author, first, second, reader):
        page.context.close()


def has_class(name: str) -> re.Pattern:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def starts_with(text: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(text)}")
