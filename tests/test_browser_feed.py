"""The feed in a real Chromium (issue 13, 1-4): opening at the newest post, grouping and density, unread
posts, and calling the reader back (notifications, the favicon badge)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser_support import (
    Wall,
    choose_name,
    just_read,
    last_post_fully_visible,
    named_page,
    open_wall,
    post_line_count,
    posts,
    send,
    wall_with_media,
)
from tests.test_browser_images import chart_png, paste_image

pytestmark = pytest.mark.browser

IMAGES_LOADED = "() => [...document.querySelectorAll('#posts img')].every((img) => img.complete)"
FAKE_NOTIFICATIONS = """
    window.shownNotifications = [];
    window.permissionRequests = 0;
    class FakeNotification {
        constructor(title, options = {}) { window.shownNotifications.push({ title, body: options.body }); }
        addEventListener() {}
        close() {}
    }
    FakeNotification.permission = "default";
    FakeNotification.requestPermission = async () => {
        window.permissionRequests += 1;
        FakeNotification.permission = "granted";
        return "granted";
    };
    window.Notification = FakeNotification;
"""
HIDE_TAB = """() => {
    Object.defineProperty(document, "hidden", { get: () => true, configurable: true });
    Object.defineProperty(document, "visibilityState", { get: () => "hidden", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    with wall_with_media(tmp_path_factory.mktemp("feed"), WALL_DUPLICATE_RATE="off") as wall:
        yield wall


@pytest.fixture(scope="module")
def alice(browser: Browser, wall: Wall) -> Iterator[Page]:
    with named_page(browser, wall.url, "Alice") as page:
        yield page


@pytest.fixture(scope="module")
def bob(browser: Browser, wall: Wall) -> Iterator[Page]:
    with named_page(browser, wall.url, "Bob") as page:
        yield page


def post_image(page: Page, text: str, size: tuple[int, int]) -> None:
    assert paste_image(page, chart_png(size)) is True
    expect(page.locator(".attachment-status")).to_contain_text("ready")
    send(page, text)
    expect(posts(page, text).locator("img.post-image")).to_have_count(1)


# --- 1: open at the newest post ---------------------------------------------------------------------


def test_the_newest_post_is_fully_visible_after_every_load_resize_and_image_load(
    browser: Browser, wall: Wall, alice: Page
) -> None:
    for number in range(24):
        send(alice, f"Warm-up {number}")
        if number % 8 == 3:
            post_image(alice, f"Chart {number}", (640, 480))
    post_image(alice, "The newest, with a wide image", (640, 320))
    page = open_wall(browser, wall.url)
    just_read(page)

    # Thumbnails arrive late, as on a slow network: the space must be reserved before they do.
    def slow(route: Route) -> None:
        page.wait_for_timeout(700)
        route.continue_()

    page.route("**/media/**", slow)
    for _ in range(3):
        page.reload()
        expect(posts(page, "The newest, with a wide image")).to_have_count(1)
        assert last_post_fully_visible(page)
        image = posts(page, "The newest, with a wide image").locator("img")
        expect(image).to_have_attribute("width", re.compile(r"^\d+$"))
        expect(image).to_have_attribute("height", re.compile(r"^\d+$"))
        page.wait_for_function(IMAGES_LOADED)
        assert last_post_fully_visible(page)
    page.set_viewport_size({"width": 1000, "height": 640})
    page.wait_for_timeout(200)
    assert last_post_fully_visible(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_timeout(200)
    assert last_post_fully_visible(page)
    page.context.close()


# --- 2: scan the feed -------------------------------------------------------------------------------


def test_consecutive_posts_by_one_author_share_one_author_line(alice: Page, bob: tuple) -> None:
    for text in ("Group one", "Group two", "Group three"):
        send(alice, text)
    expect(posts(alice, "Group three")).to_have_count(1)  # saved, so Bob's comes after all three
    send(bob, "Another author")
    for text in ("Group two", "Group three"):
        expect(posts(bob, text)).to_have_class(re.compile(r"\bis-continued\b"))
        expect(posts(bob, text).locator(".post-head")).not_to_be_in_viewport()
    expect(posts(bob, "Another author")).not_to_have_class(re.compile(r"\bis-continued\b"))
    expect(posts(alice, "Another author").locator(".post-author")).to_be_visible()


def test_a_day_divider_heads_each_day(bob: Page) -> None:
    expect(bob.locator("#posts .day-divider")).to_have_count(1)
    expect(bob.locator("#posts .day-divider")).to_have_text("Today")


def test_at_1280_by_800_twice_as_many_one_line_posts_fit_as_before(
    browser: Browser, wall: Wall, alice: Page
) -> None:
    for number in range(40):
        send(alice, f"One line {number}")
    page = open_wall(browser, wall.url)
    just_read(page)
    expect(posts(page, "One line 39")).to_have_count(1)
    assert post_line_count(page) >= 18  # 8 to 9 before issue 13
    page.context.close()


# --- 3: unread ----------------------------------------------------------------------------------------


def test_posts_arriving_while_scrolled_up_get_a_new_divider_jump_button_count_and_badge(
    browser: Browser, wall: Wall, alice: Page
) -> None:
    page = open_wall(browser, wall.url)
    just_read(page)
    expect(posts(page, "One line 39")).to_have_count(1)
    jump = page.get_by_role("button", name=re.compile("Jump to latest"))
    expect(jump).to_be_hidden()
    page.locator("#feed").evaluate("(feed) => { feed.scrollTop = 0; }")
    expect(jump).to_be_visible()
    send(alice, "Unread one")
    send(alice, "Unread two")
    expect(jump).to_contain_text("2 new")
    expect(page).to_have_title("(2) Wall")
    expect(posts(page, "Unread one").locator(".new-divider")).to_have_text("New")
    expect(page.locator("#posts .new-divider")).to_have_count(1)
    expect(page.locator("#favicon")).to_have_attribute("href", re.compile(r"^data:image/png"))
    jump.click()
    expect(posts(page, "Unread two")).to_be_in_viewport()
    expect(page).to_have_title("Wall")
    expect(jump).to_be_hidden()
    expect(page.locator("#favicon")).to_have_attribute("href", re.compile(r"^data:image/svg"))
    page.context.close()


def test_the_readers_own_posts_keep_their_highlight_after_a_reload(alice: Page) -> None:
    send(alice, "Mine before the reload")
    expect(posts(alice, "Mine before the reload")).to_have_class(re.compile(r"\bis-mine\b"))
    alice.reload()
    expect(posts(alice, "Mine before the reload")).to_have_class(re.compile(r"\bis-mine\b"))
    expect(posts(alice, "Another author")).not_to_have_class(re.compile(r"\bis-mine\b"))


# --- 4: calling the reader back -------------------------------------------------------------------------


def test_notifications_are_asked_for_only_after_a_click_and_shown_for_mentions_while_hidden(
    browser: Browser, wall: Wall, alice: Page
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(FAKE_NOTIFICATIONS)
    page = context.new_page()
    page.goto(wall.url)
    choose_name(page, "Carol")
    assert page.evaluate("window.permissionRequests") == 0
    page.get_by_role("button", name="Notifications").click()
    page.get_by_label("When someone mentions me").check()
    expect(page.get_by_label("When someone mentions me")).to_be_checked()
    assert page.evaluate("window.permissionRequests") == 1
    page.keyboard.press("Escape")
    page.evaluate(HIDE_TAB)
    send(alice, "Nothing for her")
    send(alice, "Lunch, @carol?")
    expect(posts(page, "Lunch, @carol?")).to_have_count(1)
    shown = page.evaluate("window.shownNotifications")
    assert shown == [{"title": "Alice mentioned you", "body": "Lunch, @carol?"}]
    expect(page).to_have_title("(2 · @1) Wall")  # two unread, one of them mentions her
    expect(page.locator("#favicon")).to_have_attribute("href", re.compile(r"^data:image/png"))
    context.close()


def test_every_post_notifies_when_the_reader_chose_so(browser: Browser, wall: Wall, alice: Page) -> None:
    context = browser.new_context()
    context.add_init_script(FAKE_NOTIFICATIONS)
    page = context.new_page()
    page.goto(wall.url)
    just_read(page)
    page.get_by_role("button", name="Notifications").click()
    page.get_by_label("For every post").check()
    page.evaluate(HIDE_TAB)
    send(alice, "For everyone")
    expect(posts(page, "For everyone")).to_have_count(1)
    assert page.evaluate("window.shownNotifications") == [{"title": "Alice", "body": "For everyone"}]
    context.close()
