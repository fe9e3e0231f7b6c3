"""Joining and composing in a real Chromium (issue 13, 5-6): the newcomer's way in, and the phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import (
    DOCS_PHONE_SCREENSHOT,
    Wall,
    choose_name,
    just_read,
    maybe_update_docs_screenshot,
    named_page,
    open_wall,
    posts,
    save_screenshot,
    send,
    start_wall,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SMALL_CONTROLS = """() => [...document.querySelectorAll("button, a[href], input, textarea, select")]
    .filter((node) => node.checkVisibility() && !node.closest("[hidden]"))
    .map((node) => [node.id || node.className || node.textContent.trim(), node.getBoundingClientRect()])
    .filter(([, rect]) => rect.width > 1 && rect.bottom > 0 && (rect.width < 44 || rect.height < 44))
    .map(([name, rect]) => `${name}: ${Math.round(rect.width)}x${Math.round(rect.height)}`)"""


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    wall = start_wall(tmp_path_factory.mktemp("joining"), WALL_POST_RATE="off")
    yield wall
    wall.server.stop()


@pytest.fixture(scope="module")
def alice(browser: Browser, wall: Wall) -> Iterator[Page]:
    with named_page(browser, wall.url, "Alice") as page:
        for text in ("Welcome, everyone", "The agenda is on the board", "Coffee at ten"):
            send(page, text)
        yield page


# --- 5: the newcomer ---------------------------------------------------------------------------------


def test_after_choosing_a_name_focus_lands_in_the_composer(browser: Browser, wall: Wall) -> None:
    page = open_wall(browser, wall.url)
    choose_name(page, "Dana")
    expect(page.get_by_label("Your post", exact=True)).to_be_focused()
    page.context.close()


def test_clicking_the_greyed_composer_or_the_image_button_opens_the_name_dialog(
    browser: Browser, wall: Wall
) -> None:
    page = open_wall(browser, wall.url)
    just_read(page)
    page.get_by_label("Your post", exact=True).click()
    expect(page.locator("#picker")).to_be_visible()
    expect(page.get_by_label("Your name")).to_be_focused()
    just_read(page)
    page.get_by_role("button", name="Add an image").click()
    expect(page.locator("#picker")).to_be_visible()
    page.context.close()


def test_the_name_dialog_leaves_the_newest_posts_in_view(browser: Browser, wall: Wall, alice: Page) -> None:
    page = open_wall(browser, wall.url)
    expect(page.locator("#picker")).to_be_visible()
    newest = posts(page, "Coffee at ten")
    expect(newest).to_be_in_viewport(ratio=1)
    # Nothing covers it: the point at its centre belongs to the post itself.
    assert newest.evaluate(
        """(post) => {
            const rect = post.getBoundingClientRect();
            const centre = document.elementFromPoint(rect.x + rect.width / 2, rect.y + rect.height / 2);
            return post.contains(centre);
        }"""
    )
    page.context.close()


def test_a_taken_name_offers_a_free_variant_and_cannot_be_confirmed(
    browser: Browser, wall: Wall, alice: Page
) -> None:
    page = open_wall(browser, wall.url)
    page.get_by_label("Your name").fill("alice")
    expect(page.locator("#picker-feedback")).to_have_text("Taken")
    expect(page.get_by_role("button", name="Use this name")).to_be_disabled()
    suggestion = page.get_by_role("button", name=re.compile("alice2"))
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(page.get_by_label("Your name")).to_have_value("alice2")
    expect(page.locator("#picker-feedback")).to_have_text("Available")
    page.get_by_role("button", name="Use this name").click()
    expect(page.locator("#me-name")).to_have_text("alice2")
    page.context.close()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("two  spaces", "Use one space between words"),
        ("dot.name", "“.” (U+002E) cannot be part of a name"),
        ("Bob\u202e", "(U+202E) cannot be part of a name"),
        ("P\u0430ypal", "A name keeps to one script"),  # the server's answer: Latin with a Cyrillic a
    ],
    ids=["two spaces", "dot", "bidi override", "mixed scripts"],
)
def test_an_invalid_name_message_names_the_offending_character(
    browser: Browser, wall: Wall, name: str, message: str
) -> None:
    page = open_wall(browser, wall.url)
    page.get_by_label("Your name").fill(name)
    expect(page.locator("#picker-feedback")).to_contain_text(message)
    expect(page.get_by_role("button", name="Use this name")).to_be_disabled()
    page.context.close()


# --- 6: the phone --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def phone(browser: Browser, wall: Wall, alice: Page) -> Iterator[Page]:
    with named_page(browser, wall.url, "Pat", **PHONE) as page:
        yield page


def test_on_a_touch_keyboard_enter_makes_a_new_line_and_send_sends(phone: Page) -> None:
    draft = phone.get_by_label("Your post", exact=True)
    draft.fill("First line")
    draft.press("Enter")
    draft.press_sequentially("second")
    expect(draft).to_have_value("First line\nsecond")
    expect(phone.locator("#pending .post")).to_have_count(0)
    phone.get_by_role("button", name="Send").tap()
    expect(posts(phone, "First line\nsecond")).to_have_count(1)


def test_every_phone_control_is_at_least_44_pixels(phone: Page) -> None:
    phone.get_by_label("Your post", exact=True).fill("")
    assert phone.evaluate(SMALL_CONTROLS) == []
    phone.get_by_role("button", name=re.compile(r"\d+ online")).tap()
    expect(phone.locator("#people")).to_be_visible()
    assert phone.evaluate(SMALL_CONTROLS) == []
    phone.keyboard.press("Escape")


def test_the_people_drawer_closes_on_an_outside_tap_and_on_escape(phone: Page) -> None:
    toggle = phone.get_by_role("button", name=re.compile(r"\d+ online"))
    toggle.tap()
    expect(phone.locator("#people")).to_be_visible()
    path = save_screenshot(phone, "phone-people.png")
    phone.locator("#feed").tap(position={"x": 40, "y": 200})
    expect(phone.locator("#people")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.tap()
    expect(phone.locator("#people")).to_be_visible()
    phone.keyboard.press("Escape")
    expect(phone.locator("#people")).to_be_hidden()
    assert path.exists()


def test_the_desktop_keyboard_hint_is_hidden_on_phones(phone: Page, browser: Browser, wall: Wall) -> None:
    expect(phone.locator("#composer-hint-text")).not_to_contain_text("Shift+Enter")
    desktop = open_wall(browser, wall.url)
    choose_name(desktop, "Desk")
    expect(desktop.locator("#composer-hint-text")).to_have_text(re.compile("Shift\\+Enter"))
    expect(desktop.locator("#composer-hint-text")).to_be_visible()
    desktop.context.close()


def test_the_phone_screenshot(phone: Page) -> None:
    send_button = phone.get_by_role("button", name="Send")
    phone.get_by_label("Your post", exact=True).fill("On my way, 5 minutes")
    expect(send_button).to_be_enabled()
    phone.locator("#draft").blur()
    path = save_screenshot(phone, "phone.png")
    maybe_update_docs_screenshot(path, DOCS_PHONE_SCREENSHOT)
    phone.get_by_label("Your post", exact=True).fill("")
