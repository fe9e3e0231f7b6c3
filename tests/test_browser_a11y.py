"""Accessibility in a real Chromium (issue 13, 8): axe-core finds nothing in any state, and the keyboard
reaches the composer and every post."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import (
    Wall,
    axe_violations,
    choose_name,
    just_read,
    named_page,
    open_wall,
    posts,
    send,
    start_wall,
    status,
    wall_with_media,
)
from tests.test_browser_images import paste_image

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    with wall_with_media(tmp_path_factory.mktemp("a11y")) as wall:
        yield wall


@pytest.fixture(scope="module")
def alice(browser: Browser, wall: Wall) -> Iterator[Page]:
    with named_page(browser, wall.url, "Alice") as page:
        yield fill(page)


def fill(page: Page) -> Page:
    """60 one-line posts and an image post."""
    for number in range(60):
        send(page, f"Post number {number}")
    assert paste_image(page) is True
    expect(page.locator(".attachment-status")).to_contain_text("ready")
    send(page, "A chart")
    expect(posts(page, "A chart").locator("img")).to_have_count(1)
    return page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_name_dialog_and_the_feed(
    browser: Browser, wall: Wall, alice: Page, scheme: str
) -> None:
    page = open_wall(browser, wall.url, color_scheme=scheme)
    expect(page.locator("#picker")).to_be_visible()
    expect(posts(page, "A chart")).to_have_count(1)
    assert axe_violations(page) == []
    choose_name(page, f"Reader_{scheme}")
    send(page, f"Hello from a {scheme} reader")
    expect(posts(page, f"Hello from a {scheme} reader")).to_have_count(1)
    assert axe_violations(page) == []
    page.context.close()


def test_axe_finds_nothing_over_the_limit_in_the_image_viewer_and_under_a_notice(alice: Page) -> None:
    alice.get_by_label("Your post", exact=True).fill("x" * 2001)
    expect(alice.locator("#counter")).to_have_class(re.compile("is-over"))
    assert axe_violations(alice) == []
    alice.get_by_label("Your post", exact=True).fill("")
    posts(alice, "A chart").locator(".post-image-link").click()
    expect(alice.locator("#lightbox")).to_be_visible()
    assert axe_violations(alice) == []
    alice.keyboard.press("Escape")
    expect(alice.locator("#lightbox")).to_be_hidden()


def test_axe_finds_nothing_in_an_outage_with_a_pending_post(browser: Browser, tmp_path) -> None:
    wall = start_wall(tmp_path)
    try:
        page = open_wall(browser, wall.url)
        choose_name(page, "Offline")
        send(page, "Posted before")
        expect(posts(page, "Posted before")).to_have_count(1)
        page.context.set_offline(True)
        expect(page.locator("#outage")).to_be_visible()
        send(page, "Waiting to be sent")
        expect(page.locator("#pending .post")).to_contain_text("Waiting for the connection")
        assert axe_violations(page) == []
        page.context.set_offline(False)
        expect(status(page)).to_have_attribute("data-state", "live", timeout=20_000)
    finally:
        wall.server.stop()


def test_axe_finds_nothing_in_the_phone_drawer(browser: Browser, wall: Wall, alice: Page) -> None:
    page = open_wall(
        browser, wall.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    choose_name(page, "Phone_reader")
    page.get_by_role("button", name=re.compile(r"\d+ online")).tap()
    expect(page.locator("#people")).to_be_visible()
    assert axe_violations(page) == []
    page.context.close()


def test_the_first_tab_stop_skips_to_the_composer(browser: Browser, wall: Wall, alice: Page) -> None:
    page = open_wall(browser, wall.url)
    choose_name(page, "Keyboard")
    page.reload()  # The name is remembered: no dialog, the page as a returning reader finds it.
    expect(status(page)).to_have_attribute("data-state", "live")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the composer")
    expect(skip).to_be_focused()
    expect(page.get_by_role("button", name="Load older posts")).not_to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your post", exact=True)).to_be_focused()
    page.context.close()


def test_posts_are_one_tab_stop_and_arrow_keys_move_between_them(
    browser: Browser, wall: Wall, alice: Page
) -> None:
    page = open_wall(browser, wall.url)
    just_read(page)
    expect(page.locator("#posts")).to_have_attribute("role", "feed")
    expect(page.get_by_role("article")).to_have_count(page.locator("#posts > .post").count())
    # Images are not Tab stops of their own; exactly one post is.
    expect(page.locator("#posts .post-image-link")).to_have_attribute("tabindex", "-1")
    expect(page.locator('#posts [tabindex="0"]')).to_have_count(1)
    newest = posts(page, "A chart")
    newest.focus()
    page.keyboard.press("ArrowUp")
    expect(posts(page, "Post number 59")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(posts(page, "Post number 58")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(newest).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#lightbox")).to_be_visible()
    page.keyboard.press("Escape")
    oldest = page.locator("#posts > .post").first.get_attribute("id")
    page.keyboard.press("Home")
    expect(page.locator(f"#{oldest}")).to_be_focused()
    page.context.close()
