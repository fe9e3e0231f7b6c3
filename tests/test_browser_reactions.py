"""Reactions in a real Chromium, two pages: react from the palette or with any emoji, see the counts
and who reacted on the other page, take one's own back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import (
    Wall,
    axe_violations,
    named_page,
    posts,
    save_screenshot,
    send,
    status,
    wall_with_media,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    with wall_with_media(tmp_path_factory.mktemp("reactions"), WALL_DUPLICATE_RATE="off") as wall:
        yield wall


@pytest.fixture(scope="module")
def alice(browser: Browser, wall: Wall) -> Iterator[Page]:
    with named_page(browser, wall.url, "Alice") as page:
        yield page


@pytest.fixture(scope="module")
def bob(browser: Browser, wall: Wall) -> Iterator[Page]:
    with named_page(browser, wall.url, "Bob") as page:
        yield page


def chip(page: Page, text: str, emoji: str):
    return posts(page, text).locator(f'.reaction-chip[data-emoji="{emoji}"]')


def open_picker(page: Page, text: str) -> None:
    """The action bar's React (a post without reactions shows no row of its own)."""
    page.mouse.move(1, 1)  # a still pointer brings no bar (actions.js): move, as a hand would
    posts(page, text).hover()
    posts(page, text).locator(".post-actions").get_by_role("button", name="React").click()


def react_from_picker(page: Page, text: str, emoji: str) -> None:
    open_picker(page, text)
    page.get_by_role("dialog", name="Add a reaction").get_by_role(
        "button", name=f"React with {emoji}"
    ).click()


def test_a_reaction_from_the_palette_shows_its_count_and_who_on_the_other_page(alice, bob):
    send(alice, "react to this")
    expect(posts(bob, "react to this")).to_have_count(1)
    react_from_picker(bob, "react to this", "🎉")
    expect(chip(alice, "react to this", "🎉")).to_have_text("🎉1")
    expect(chip(alice, "react to this", "🎉")).to_have_attribute("title", "Bob")
    expect(chip(alice, "react to this", "🎉")).to_have_attribute("aria-pressed", "false")
    expect(chip(bob, "react to this", "🎉")).to_have_attribute("aria-pressed", "true")

    chip(alice, "react to this", "🎉").click()  # Alice joins in
    expect(chip(bob, "react to this", "🎉")).to_have_text("🎉2")
    expect(chip(bob, "react to this", "🎉")).to_have_attribute("title", "Bob, Alice")
    expect(chip(alice, "react to this", "🎉")).to_have_attribute("aria-pressed", "true")

    chip(bob, "react to this", "🎉").click()  # Bob takes his back
    expect(chip(alice, "react to this", "🎉")).to_have_text("🎉1")
    expect(chip(alice, "react to this", "🎉")).to_have_attribute("title", "Alice")
    expect(chip(alice, "react to this", "🎉")).to_have_attribute(
        "aria-label", "🎉 1: Alice (yours; press to take it back)"
    )


def test_any_single_emoji_can_be_typed_and_text_is_refused_by_the_page(alice, bob):
    send(alice, "any emoji")
    expect(posts(bob, "any emoji")).to_have_count(1)
    open_picker(bob, "any emoji")
    picker = bob.get_by_role("dialog", name="Add a reaction")
    field = picker.get_by_label("Any other emoji")
    field.fill("nice")
    field.press("Enter")
    expect(picker.locator(".reaction-hint")).to_have_text("One emoji, please.")
    field.fill("🦄")
    field.press("Enter")
    expect(picker).to_be_hidden()
    expect(chip(alice, "any emoji", "🦄")).to_have_text("🦄1")
    save_screenshot(alice, "reactions.png")


def test_the_picker_works_from_the_keyboard_and_passes_axe(alice, bob):
    send(alice, "keyboard reaction")
    shown = posts(bob, "keyboard reaction")
    shown.focus()
    bob.keyboard.press("Tab")  # the action bar's first button
    expect(shown.locator(".post-actions").get_by_role("button", name="React")).to_be_focused()
    bob.keyboard.press("Enter")
    picker = bob.get_by_role("dialog", name="Add a reaction")
    expect(picker).to_be_visible()
    expect(picker.get_by_role("button", name="React with 👍")).to_be_focused()
    assert axe_violations(bob) == []
    save_screenshot(bob, "reactions-picker.png")
    bob.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(shown).to_be_focused()
    bob.keyboard.press("Tab")
    bob.keyboard.press("Enter")
    expect(picker.get_by_role("button", name="React with 👍")).to_be_focused()
    bob.keyboard.press("Tab")  # to ❤️
    bob.keyboard.press("Enter")
    expect(chip(alice, "keyboard reaction", "❤️")).to_have_text("❤️1")
    add = posts(bob, "keyboard reaction").get_by_role("button", name="Add a reaction")
    expect(add).to_be_visible()  # a post with reactions offers more on its own row
    add.click()
    picker.get_by_role("button", name="React with 👀").click()
    expect(chip(alice, "keyboard reaction", "👀")).to_have_text("👀1")


def test_a_page_that_was_offline_learns_the_reactions_it_missed(alice, bob):
    send(alice, "while you were away")
    expect(chip(bob, "while you were away", "👀")).to_have_count(0)
    expect(posts(bob, "while you were away")).to_have_count(1)
    bob.context.set_offline(True)
    expect(bob.locator("#outage")).to_be_visible(timeout=5000)
    react_from_picker(alice, "while you were away", "👀")
    expect(chip(alice, "while you were away", "👀")).to_have_text("👀1")
    bob.context.set_offline(False)
    try_now = bob.get_by_role("button", name="Try now")
    if try_now.is_visible():
        try_now.click()
    expect(status(bob)).to_have_attribute("data-state", "live", timeout=10_000)
    expect(chip(bob, "while you were away", "👀")).to_have_text("👀1")
    expect(chip(bob, "while you were away", "👀")).to_have_attribute("title", "Alice")


def test_the_action_bar_opens_the_picker(alice, bob):
    send(alice, "from the bar")
    shown = posts(bob, "from the bar")
    shown.hover()
    shown.locator(".post-actions").get_by_role("button", name="React").click()
    picker = bob.get_by_role("dialog", name="Add a reaction")
    picker.get_by_role("button", name="React with 🙏").click()
    expect(picker).to_be_hidden()
    expect(chip(alice, "from the bar", "🙏")).to_have_text("🙏1")
