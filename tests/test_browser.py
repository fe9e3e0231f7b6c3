"""The wall's page in a real Chromium against real daphne processes (Playwright, sync API)."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import (
    Wall,
    choose_name,
    just_read,
    maybe_update_docs_screenshot,
    open_wall,
    pick_random_name,
    posts,
    save_screenshot,
    send,
    start_wall,
    status,
)
from tests.test_text import BLANKS

pytestmark = pytest.mark.browser

ALICE = "Alice"
SHOWCASE_POSTS = 8


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    """One server for the two-page tests; no post rate limit, so their posts are never throttled."""
    wall = start_wall(tmp_path_factory.mktemp("wall"), WALL_POST_RATE="off")
    yield wall
    wall.server.stop()


@pytest.fixture(scope="module")
def dialogs() -> list[str]:
    """Every JavaScript dialog (alert, confirm...) either page opened."""
    return []


@pytest.fixture(scope="module")
def console_errors() -> list[str]:
    """Errors page A logged (CSP violations are logged as errors) or threw."""
    return []


@pytest.fixture(scope="module")
def alice(browser: Browser, wall: Wall, dialogs: list[str], console_errors: list[str]) -> Iterator[Page]:
    """Page A: chose the name Alice in the picker."""
    page = open_wall(browser, wall.url)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    choose_name(page, ALICE)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def bob(browser: Browser, wall: Wall, dialogs: list[str]) -> Iterator[tuple[Page, str]]:
    """Page B: let the wall pick a random name; yields the page and that name."""
    page = open_wall(browser, wall.url)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    name = pick_random_name(page)
    yield page, name
    page.context.close()


# --- names -----------------------------------------------------------------------------------------


def test_a_free_name_is_reported_available_and_can_be_joined(browser: Browser, wall: Wall) -> None:
    page = open_wall(browser, wall.url)
    page.get_by_label("Your name").fill("Carol_1")
    expect(page.locator("#picker-feedback")).to_have_text("Available")
    page.get_by_role("button", name="Use this name").click()
    expect(page.locator("#picker")).to_be_hidden()
    expect(page.locator("#me-name")).to_have_text("Carol_1")
    page.context.close()


def test_a_taken_name_is_reported_taken_in_the_picker(browser: Browser, wall: Wall, alice: Page) -> None:
    page = open_wall(browser, wall.url)
    page.get_by_label("Your name").fill(ALICE.lower())
    expect(page.locator("#picker-feedback")).to_have_text("Taken")
    page.context.close()


def test_a_badly_shaped_name_shows_the_rule(browser: Browser, wall: Wall) -> None:
    page = open_wall(browser, wall.url)
    page.get_by_label("Your name").fill("x")
    expect(page.locator("#picker-feedback")).to_have_text(
        "Too short: use 2\N{EN DASH}32 letters, digits, _, - or single spaces."
    )
    expect(page.get_by_role("button", name="Use this name")).to_be_disabled()
    page.context.close()


def test_a_saved_token_that_owns_no_name_brings_the_picker_back(browser: Browser, wall: Wall) -> None:
    page = open_wall(browser, wall.url)
    identity = '{"username": "Ghost", "token": "no-such-token"}'
    page.evaluate("(identity) => localStorage.setItem('wall.identity', identity)", identity)
    page.reload()
    expect(page.locator("#picker")).to_be_visible()
    expect(page.locator("#picker-intro")).to_have_text(re.compile("no longer yours"))
    assert page.evaluate("localStorage.getItem('wall.identity')") is None
    page.context.close()


# --- posting ---------------------------------------------------------------------------------------


def test_a_post_from_one_page_reaches_the_other_without_reload(alice: Page, bob: tuple[Page, str]) -> None:
    page_b, _ = bob
    send(alice, "Hello from Alice")
    expect(posts(page_b, "Hello from Alice")).to_have_count(1)
    expect(posts(page_b, "Hello from Alice").locator(".post-author")).to_have_text(ALICE)


def test_an_own_post_turns_from_pending_to_confirmed(alice: Page) -> None:
    # Record what the pending list showed, since the server confirms faster than a poll could see.
    seen = alice.evaluate_handle(
        """() => {
            const seen = [];
            const pending = document.getElementById("pending");
            new MutationObserver(() => {
                for (const post of pending.querySelectorAll(".post.is-pending")) seen.push(post.textContent);
            }).observe(pending, {childList: true, subtree: true});
            return seen;
        }"""
    )
    send(alice, "Pending, then confirmed")
    confirmed = posts(alice, "Pending, then confirmed")
    expect(confirmed).to_have_count(1)
    expect(confirmed).to_have_attribute("data-id", re.compile(r"^\d+$"))
    expect(confirmed).not_to_have_class(re.compile(r"is-pending"))
    expect(alice.locator("#pending .post")).to_have_count(0)
    assert any("Pending, then confirmed" in text and "Sending…" in text for text in seen.json_value())


def test_markup_in_a_post_is_shown_as_literal_text(
    alice: Page, bob: tuple[Page, str], dialogs: list[str]
) -> None:
    page_b, _ = bob
    markup = "<img src=x onerror=alert(1)>"
    send(alice, markup)
    for page in (alice, page_b):
        expect(posts(page, markup)).to_have_count(1)
        expect(page.locator("#posts img")).to_have_count(0)
    assert dialogs == []


def test_the_character_counter_updates_and_blocks_sending_over_the_limit(alice: Page) -> None:
    draft = alice.get_by_label("Your post", exact=True)
    draft.fill("hello")
    expect(alice.locator("#counter")).to_have_text("5 / 2000")
    expect(alice.get_by_role("button", name="Send")).to_be_enabled()
    draft.fill("x" * 2001)
    expect(alice.locator("#counter")).to_have_text("2001 / 2000")
    expect(alice.locator("#counter")).to_have_class(re.compile(r"is-over"))
    expect(alice.get_by_role("button", name="Send")).to_be_disabled()
    draft.press("Enter")
    expect(alice.locator("#pending .post")).to_have_count(0)
    expect(draft).to_have_value("x" * 2001)
    draft.fill("")
    expect(alice.locator("#counter")).to_have_text("0 / 2000")


@pytest.mark.parametrize("content", BLANKS.values(), ids=BLANKS.keys())
def test_a_draft_of_only_invisible_characters_cannot_be_sent(alice: Page, content: str) -> None:
    draft = alice.get_by_label("Your post", exact=True)
    draft.fill("visible")
    expect(alice.get_by_role("button", name="Send")).to_be_enabled()
    draft.fill(content)
    expect(alice.get_by_role("button", name="Send")).to_be_disabled()
    draft.press("Enter")
    expect(alice.locator("#pending .post")).to_have_count(0)
    draft.fill("")


def test_shift_enter_starts_a_new_line_and_enter_sends(alice: Page) -> None:
    draft = alice.get_by_label("Your post", exact=True)
    draft.fill("First line")
    draft.press("Shift+Enter")
    draft.press_sequentially("second line")
    expect(draft).to_have_value("First line\nsecond line")
    draft.press("Enter")
    expect(posts(alice, "First line\nsecond line")).to_have_count(1)
    expect(draft).to_have_value("")


def test_a_remembered_name_skips_the_picker_after_reload(alice: Page) -> None:
    alice.reload()
    expect(status(alice)).to_have_attribute("data-state", "live")
    expect(alice.locator("#me-name")).to_have_text(ALICE)
    expect(alice.locator("#picker")).to_be_hidden()
    expect(alice.get_by_label("Your post", exact=True)).to_be_editable()
    expect(alice.locator("#people-list")).to_contain_text(f"{ALICE}(you)")


# --- presence, typing, receipts --------------------------------------------------------------------


def test_the_online_list_on_each_page_shows_both_names(alice: Page, bob: tuple[Page, str]) -> None:
    page_b, name_b = bob
    expect(alice.locator("#people-list")).to_contain_text(f"{ALICE}(you)")
    expect(alice.locator("#people-list")).to_contain_text(name_b)
    expect(page_b.locator("#people-list")).to_contain_text(f"{name_b}(you)")
    expect(page_b.locator("#people-list")).to_contain_text(ALICE)


def test_the_online_list_drops_a_page_that_closes(browser: Browser, wall: Wall, alice: Page) -> None:
    page = open_wall(browser, wall.url)
    name = pick_random_name(page)
    expect(alice.locator("#people-list .person", has_text=name)).to_have_count(1)
    page.context.close()
    expect(alice.locator("#people-list .person", has_text=name)).to_have_count(0)


def test_typing_shows_on_the_other_page_and_expires(alice: Page, bob: tuple[Page, str]) -> None:
    page_b, _ = bob
    alice.get_by_label("Your post", exact=True).fill("thinking")
    alice.get_by_label("Your post", exact=True).press("Space")
    expect(page_b.locator("#typing")).to_have_text(f"{ALICE} is typing…")
    expect(alice.locator("#typing")).to_have_text("")
    expect(page_b.locator("#typing")).to_have_text("", timeout=8000)
    alice.get_by_label("Your post", exact=True).fill("")


def test_typing_clears_when_the_typists_post_arrives(alice: Page, bob: tuple[Page, str]) -> None:
    page_b, _ = bob
    draft = alice.get_by_label("Your post", exact=True)
    draft.fill("Typed and sent")
    draft.press("Space")
    expect(page_b.locator("#typing")).to_have_text(f"{ALICE} is typing…")
    draft.fill("Typed and sent")
    draft.press("Enter")
    expect(posts(page_b, "Typed and sent")).to_have_count(1)
    # Well before the 5 s expiry: it is the post that cleared it.
    expect(page_b.locator("#typing")).to_have_text("", timeout=1000)


def test_seen_by_appears_under_a_post_once_the_other_page_shows_it(
    alice: Page, bob: tuple[Page, str]
) -> None:
    page_b, name_b = bob
    send(alice, "Did you read this?")
    expect(posts(page_b, "Did you read this?")).to_be_in_viewport()
    seen = posts(alice, "Did you read this?").locator(".seen-by")
    expect(seen).to_have_text("Seen by 1")
    expect(seen).to_have_attribute("title", name_b)


def test_page_a_logged_no_errors_and_no_content_security_policy_violations(
    alice: Page, console_errors: list[str]
) -> None:
    alice.reload()
    expect(status(alice)).to_have_attribute("data-state", "live")
    assert console_errors == []


# --- history and unread ----------------------------------------------------------------------------


def test_scrolling_to_the_top_loads_older_posts_without_moving_the_view(
    browser: Browser, wall: Wall, alice: Page
) -> None:
    for number in range(50):
        send(alice, f"Filler {number}")
    expect(posts(alice, "Filler 49")).to_have_count(1)
    page = open_wall(browser, wall.url)
    just_read(page)
    expect(page.locator("#posts .post")).to_have_count(50)
    first = page.locator("#posts .post").first.get_attribute("data-id")
    top_before = page.locator("#feed").evaluate(
        """(feed) => {
            feed.scrollTop = 0;
            return feed.querySelector("#posts .post .post-content").getBoundingClientRect().top;
        }"""
    )
    expect(page.locator("#posts .post")).to_have_count(wall.count_posts())
    # Its text stays put (its day divider and author line may merge into the older posts' group).
    top_after = page.locator(f"#post-{first} .post-content").evaluate(
        "(text) => text.getBoundingClientRect().top"
    )
    assert abs(top_after - top_before) < 2
    expect(page.locator("#feed-start")).to_be_visible()
    page.context.close()


def test_a_post_arriving_while_scrolled_up_shows_jump_to_latest_and_counts_in_the_title(
    browser: Browser, wall: Wall, alice: Page
) -> None:
    page = open_wall(browser, wall.url)
    just_read(page)
    expect(page.locator("#posts .post")).to_have_count(50)
    page.locator("#feed").evaluate("(feed) => { feed.scrollTop = 0; }")
    send(alice, "While you were up there")
    pill = page.get_by_role("button", name=re.compile(r"Jump to latest\s*1 new"))
    expect(pill).to_be_visible()
    expect(page).to_have_title("(1) Wall")
    pill.click()
    expect(posts(page, "While you were up there")).to_be_in_viewport()
    expect(page).to_have_title("Wall")
    expect(pill).to_be_hidden()
    page.context.close()


# --- limits and connection loss -------------------------------------------------------------------


def test_a_rate_limited_post_counts_down_and_is_sent_after_the_wait(browser: Browser, tmp_path) -> None:
    wall = start_wall(tmp_path, WALL_POST_RATE="2/2s")
    try:
        page = open_wall(browser, wall.url)
        pick_random_name(page)
        for text in ("One", "Two", "Three"):
            send(page, text)
        waiting = page.locator("#pending .post").filter(has_text="Three").locator(".post-status")
        expect(waiting).to_contain_text(re.compile(r"sending again in \d s"))
        expect(posts(page, "Three")).to_have_count(1, timeout=8000)
        expect(page.locator("#pending .post")).to_have_count(0)
        assert wall.count_posts("Three") == 1
    finally:
        wall.server.stop()


def test_a_post_sent_while_the_server_is_down_is_delivered_once_after_restart(
    browser: Browser, tmp_path
) -> None:
    wall = start_wall(tmp_path)
    try:
        page_a, page_b = open_wall(browser, wall.url), open_wall(browser, wall.url)
        pick_random_name(page_a)
        pick_random_name(page_b)
        wall.server.kill()
        expect(status(page_a)).to_have_attribute("data-state", "reconnecting")
        text = "Sent while the wall was down"
        send(page_a, text)
        expect(page_a.locator("#pending .post.is-pending")).to_contain_text(text)
        wall.restart_on_same_port()
        expect(status(page_a)).to_have_attribute("data-state", "live", timeout=20_000)
        for page in (page_a, page_b):
            expect(posts(page, text)).to_have_count(1, timeout=10_000)
        expect(page_a.locator("#pending .post")).to_have_count(0)
        assert wall.count_posts(text) == 1
    finally:
        wall.server.stop()


def test_a_connection_that_stops_answering_is_replaced_without_waiting_for_tcp(
    browser: Browser, tmp_path
) -> None:
    """A frozen server (SIGSTOP) keeps TCP open; the page's ping finds out and reconnects."""
    wall = start_wall(tmp_path, WALL_PING_AFTER="1", WALL_PONG_WITHIN="2")
    try:
        page = open_wall(browser, wall.url)
        just_read(page)
        expect(status(page)).to_have_attribute("data-state", "live")
        wall.server.process.send_signal(signal.SIGSTOP)
        expect(status(page)).to_have_attribute("data-state", "reconnecting", timeout=8000)
        wall.server.process.send_signal(signal.SIGCONT)
        expect(status(page)).to_have_attribute("data-state", "live", timeout=20_000)
    finally:
        wall.server.process.send_signal(signal.SIGCONT)
        wall.server.stop()


# --- looks -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def showcase(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Wall, list[Page]]]:
    """A fresh wall with a short conversation between Maya, Sam and Lee, for screenshots."""
    wall = start_wall(tmp_path_factory.mktemp("showcase"))
    pages = [open_wall(browser, wall.url) for _ in range(3)]
    for page, name in zip(pages, ["Maya", "Sam", "Lee"], strict=True):
        choose_name(page, name)
    maya, sam, _ = pages
    conversation = [
        (maya, "Morning all! The coffee machine on the third floor works again ☕"),
        (sam, "Finally."),
        (sam, "Standup moves to 10:15 today, same room."),
        (sam, "Bring the numbers from last week, please"),
        (maya, "Thanks Sam, see you there."),
        (maya, "I'll bring the release notes and the slides for the demo."),
        (maya, "@Lee no rush, we start with the review."),
        (sam, "Sounds good."),
    ]
    for page, text in conversation:
        send(page, text)
        expect(posts(page, text)).to_have_count(1)
    yield wall, pages
    for page in pages:
        page.context.close()
    wall.server.stop()


def test_the_desktop_page_shows_posts_people_typing_and_composer(
    browser: Browser, showcase: tuple[Wall, list[Page]]
) -> None:
    wall, (_, _, lee) = showcase
    page = open_wall(browser, wall.url)
    choose_name(page, "Robin")
    expect(page.locator("#posts .post")).to_have_count(SHOWCASE_POSTS)
    expect(page.locator("#people-list .person")).to_have_count(4)
    page.get_by_label("Your post", exact=True).fill("Same here, on my way")
    lee.get_by_label("Your post", exact=True).fill("Count me in")
    expect(page.locator("#typing")).to_have_text("Lee is typing…")
    page.mouse.move(0, 0)
    path = save_screenshot(page, "desktop.png")
    maybe_update_docs_screenshot(path)
    page.context.close()


def test_the_phone_layout_fits_without_sideways_scrolling(
    browser: Browser, showcase: tuple[Wall, list[Page]]
) -> None:
    page = open_wall(browser, showcase[0].url, viewport={"width": 390, "height": 844}, is_mobile=True)
    pick_random_name(page)
    expect(page.locator("#posts .post")).to_have_count(SHOWCASE_POSTS)
    expect(page.locator("#people")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    save_screenshot(page, "phone.png")
    page.get_by_role("button", name=re.compile(r"\d+ online")).click()
    expect(page.locator("#people")).to_be_visible()
    save_screenshot(page, "phone-people.png")
    page.context.close()


def test_the_dark_color_scheme_gives_a_dark_page(browser: Browser, showcase: tuple[Wall, list[Page]]) -> None:
    page = open_wall(browser, showcase[0].url, color_scheme="dark")
    pick_random_name(page)
    expect(page.locator("#posts .post")).to_have_count(SHOWCASE_POSTS)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", background)[:3])
    assert max(red, green, blue) < 60, background
    save_screenshot(page, "dark.png")
    page.context.close()
