"""Edit, delete and reply in a real Chromium, two pages at once (issue 14, parts 1, 2, 4, 6 and 7):
the post action bar, Up-arrow and Escape in the composer, quotes that go to their original (loading
older pages), "a removed post", and /#post-<id> links."""

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
    choose_name,
    named_page,
    open_wall,
    posts,
    save_screenshot,
    send,
    wall_with_media,
)
from tests.wsclient import WallClient

pytestmark = pytest.mark.browser


MODERATOR = ("moderator", "a moderator's long password")


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    with wall_with_media(tmp_path_factory.mktemp("edits"), WALL_DUPLICATE_RATE="off") as wall:
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


def set_hidden_in_the_admin(browser: Browser, wall: Wall, post_id: str, hidden: bool) -> None:
    """A moderator ticks (or unticks) "Is hidden" on the post's admin page."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{wall.url}/admin/login/")
    page.get_by_label("Username").fill(MODERATOR[0])
    page.get_by_label("Password").fill(MODERATOR[1])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{wall.url}/admin/wall/post/{post_id}/change/")
    page.get_by_label("Is hidden").set_checked(hidden)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    context.close()


@pytest.fixture
def alice(browser: Browser, wall: Wall) -> Iterator[Page]:
    with named_page(browser, wall.url, f"Alice{id(wall) % 1000}-{_next()}") as page:
        yield page


@pytest.fixture
def bob(browser: Browser, wall: Wall) -> Iterator[Page]:
    with named_page(browser, wall.url, f"Bob{id(wall) % 1000}-{_next()}") as page:
        yield page


_counter = iter(range(1000))


def _next() -> int:
    return next(_counter)


def action(page: Page, text: str, name: str):
    """Hover the confirmed post whose text is `text` and return its action bar's button `name`."""
    post = posts(page, text)
    page.mouse.move(1, 1)  # a still pointer brings no bar (actions.js): move, as a hand would
    post.hover()
    return post.locator(".post-actions").get_by_role("button", name=name)


def test_an_edit_from_the_action_bar_reaches_the_other_page_marked_edited(alice: Page, bob: Page) -> None:
    send(alice, "lunch at 11?")
    expect(posts(bob, "lunch at 11?")).to_have_count(1)
    action(alice, "lunch at 11?", "Edit").click()
    draft = alice.get_by_label("Your post", exact=True)
    expect(draft).to_have_value("lunch at 11?")
    expect(alice.locator("#composer-mode-text")).to_contain_text("Editing your post")
    draft.fill("lunch at 12?")
    draft.press("Enter")
    edited = posts(bob, "lunch at 12?")
    expect(edited).to_have_count(1)
    expect(posts(bob, "lunch at 11?")).to_have_count(0)
    mark = edited.locator(".post-edited")
    expect(mark).to_have_text(re.compile(r"^\(edited\) \w+"))  # the exact time, for screen readers
    expect(mark).to_have_attribute("title", re.compile(r"^Edited \w+"))
    expect(posts(alice, "lunch at 12?").locator(".post-edited")).to_have_count(1)
    expect(draft).to_have_value("")
    expect(alice.locator("#composer-mode")).to_be_hidden()
    save_screenshot(bob, "edits-edited.png")


def test_up_arrow_in_an_empty_composer_edits_the_last_post_and_escape_cancels(alice: Page, bob: Page) -> None:
    send(alice, "first thought")
    send(alice, "second thought")
    expect(posts(alice, "second thought")).to_have_count(1)
    draft = alice.get_by_label("Your post", exact=True)
    draft.focus()
    draft.press("ArrowUp")
    expect(draft).to_have_value("second thought")
    draft.press("Escape")
    expect(draft).to_have_value("")
    expect(alice.locator("#composer-mode")).to_be_hidden()
    draft.press("ArrowUp")
    draft.fill("second thought, revised")
    draft.press("Enter")
    expect(posts(bob, "second thought, revised")).to_have_count(1)
    expect(posts(bob, "first thought").locator(".post-edited")).to_have_count(0)


def test_a_draft_survives_an_edit_that_is_cancelled(alice: Page) -> None:
    send(alice, "posted")
    expect(posts(alice, "posted")).to_have_count(1)
    draft = alice.get_by_label("Your post", exact=True)
    draft.fill("half a thought")
    action(alice, "posted", "Edit").click()
    expect(draft).to_have_value("posted")
    alice.get_by_role("button", name="Cancel the edit").click()
    expect(draft).to_have_value("half a thought")


def test_a_delete_asks_once_more_then_leaves_both_pages(alice: Page, bob: Page, wall: Wall) -> None:
    send(alice, "regret this")
    expect(posts(bob, "regret this")).to_have_count(1)
    delete = action(alice, "regret this", "Delete")
    delete.click()
    expect(delete).to_have_text("Delete for everyone?")
    delete.click()
    expect(posts(bob, "regret this")).to_have_count(0)
    expect(posts(alice, "regret this")).to_have_count(0)
    assert wall.count_posts("regret this") == 1  # soft: kept for moderators


def test_only_the_authors_posts_offer_edit_and_delete(alice: Page, bob: Page) -> None:
    send(alice, "alice's own")
    expect(posts(bob, "alice's own")).to_have_count(1)
    bob.mouse.move(1, 1)
    posts(bob, "alice's own").hover()
    bar = posts(bob, "alice's own").locator(".post-actions")
    expect(bar.get_by_role("button")).to_have_text(["React", "Reply", "Report", "Copy link"])
    alice.mouse.move(1, 1)
    posts(alice, "alice's own").hover()
    expect(posts(alice, "alice's own").locator(".post-actions").get_by_role("button")).to_have_text(
        ["React", "Reply", "Edit", "Delete", "Copy link"]
    )


def test_a_reply_quotes_its_original_and_the_quote_goes_to_it(alice: Page, bob: Page) -> None:
    send(alice, "who brings the cake?")
    expect(posts(bob, "who brings the cake?")).to_have_count(1)
    action(bob, "who brings the cake?", "Reply").click()
    expect(bob.locator("#composer-mode-text")).to_contain_text("Replying to Alice")
    send(bob, "I do")
    reply = posts(alice, "I do")
    expect(reply).to_have_count(1)
    quote = reply.locator(".post-quote")
    expect(quote).to_contain_text("who brings the cake?")
    for number in range(30):  # push the original out of view
        send(bob, f"filler {number}")
    expect(posts(alice, "filler 29")).to_have_count(1)
    original = posts(alice, "who brings the cake?")
    expect(original).not_to_be_in_viewport()
    reply.locator(".post-quote").click()
    expect(original).to_be_in_viewport()
    expect(original).to_be_focused()
    expect(original).to_have_class(re.compile(r"\bis-highlighted\b"))
    save_screenshot(alice, "edits-reply-highlight.png")


def test_a_quote_of_a_post_deleted_meanwhile_turns_into_a_removed_post_live(alice: Page, bob: Page) -> None:
    send(alice, "secret plan")
    expect(posts(bob, "secret plan")).to_have_count(1)
    action(bob, "secret plan", "Reply").click()
    send(bob, "great plan")
    quote = posts(bob, "great plan").locator(".post-quote")
    expect(quote).to_contain_text("secret plan")
    delete = action(alice, "secret plan", "Delete")
    delete.click()
    delete.click()
    expect(posts(bob, "great plan").locator(".post-quote-text")).to_have_text("a removed post")
    expect(posts(alice, "great plan").locator(".post-quote-text")).to_have_text("a removed post")
    assert "secret plan" not in bob.locator("#posts").inner_text()


def test_the_action_bar_works_with_the_keyboard_alone(alice: Page, bob: Page) -> None:
    send(alice, "keyboard please")
    expect(posts(bob, "keyboard please")).to_have_count(1)
    posts(bob, "keyboard please").focus()
    bob.keyboard.press("Tab")
    bar = posts(bob, "keyboard please").locator(".post-actions")
    expect(bar.get_by_role("button", name="React")).to_be_focused()
    bob.keyboard.press("ArrowRight")
    reply = bar.get_by_role("button", name="Reply")
    expect(reply).to_be_focused()
    bob.keyboard.press("ArrowRight")
    expect(bar.get_by_role("button", name="Report")).to_be_focused()  # someone else's post
    bob.keyboard.press("ArrowRight")
    expect(posts(bob, "keyboard please").get_by_role("button", name="Copy link")).to_be_focused()
    bob.keyboard.press("ArrowLeft")
    bob.keyboard.press("ArrowLeft")
    bob.keyboard.press("Enter")
    draft = bob.get_by_label("Your post", exact=True)
    expect(draft).to_be_focused()
    bob.keyboard.type("typed only")
    bob.keyboard.press("Enter")
    expect(posts(alice, "typed only").locator(".post-quote")).to_contain_text("keyboard please")


def test_a_post_link_opens_the_wall_at_that_post_loading_older_pages(browser: Browser, wall: Wall) -> None:
    poster = WallClient(wall.server.ws_url)
    poster.join(username="Linker")
    poster.send("message", {"content": "the linked post", "client_id": "c-linked"})
    linked = poster.receive_next("message")["message"]
    for number in range(70):  # more than the first page of 50
        poster.send("message", {"content": f"later {number}", "client_id": f"c-later-{number}"})
    for _ in range(70):
        poster.receive_next("message")
    page = open_wall(browser, f"{wall.url}/#post-{linked['id']}")
    try:
        target = page.locator(f"#post-{linked['id']}")
        expect(target).to_be_in_viewport()
        expect(target).to_be_focused()
        choose_name_later = page.locator("#picker")
        expect(choose_name_later).to_be_hidden()
    finally:
        page.context.close()


def test_copy_link_gives_a_link_that_opens_the_post(browser: Browser, wall: Wall) -> None:
    page = open_wall(browser, wall.url, permissions=["clipboard-read", "clipboard-write"])
    try:
        choose_name(page, f"Copier{_next()}")
        send(page, "link to me")
        expect(posts(page, "link to me")).to_have_count(1)
        action(page, "link to me", "Copy link").click()
        link = page.evaluate("navigator.clipboard.readText()")
        post_id = posts(page, "link to me").get_attribute("data-id")
        assert link == f"{wall.url}/#post-{post_id}"
    finally:
        page.context.close()


def test_the_display_shows_an_edit_and_a_reply_quote(browser: Browser, wall: Wall, alice: Page) -> None:
    screen = open_wall(browser, f"{wall.url}/display/")
    try:
        send(alice, "Talk starts at 3")
        expect(posts(screen, "Talk starts at 3")).to_have_count(1)
        action(alice, "Talk starts at 3", "Reply").click()
        send(alice, "in room B")
        expect(posts(screen, "in room B").locator(".post-quote")).to_contain_text("Talk starts at 3")
        action(alice, "Talk starts at 3", "Edit").click()
        draft = alice.get_by_label("Your post", exact=True)
        draft.fill("Talk starts at 4")
        draft.press("Enter")
        expect(posts(screen, "Talk starts at 4").locator(".post-edited")).to_contain_text("(edited)")
        expect(posts(screen, "in room B").locator(".post-quote")).to_contain_text("Talk starts at 4")
        save_screenshot(screen, "edits-display.png")
    finally:
        screen.context.close()


def test_the_action_bar_and_a_reply_in_the_composer_pass_axe(alice: Page, bob: Page) -> None:
    send(alice, "check me")
    send(alice, "soon removed")
    expect(posts(bob, "soon removed")).to_have_count(1)
    action(bob, "soon removed", "Reply").click()
    send(bob, "quoting the removed")
    expect(posts(alice, "quoting the removed")).to_have_count(1)
    delete = action(alice, "soon removed", "Delete")
    delete.click()
    delete.click()
    expect(posts(bob, "quoting the removed").locator(".post-quote-text")).to_have_text("a removed post")
    action(alice, "check me", "Edit").click()
    alice.get_by_label("Your post", exact=True).fill("check me, edited")
    alice.get_by_label("Your post", exact=True).press("Enter")
    expect(posts(bob, "check me, edited").locator(".post-edited")).to_have_count(1)
    send(alice, "check me")
    expect(posts(bob, "check me")).to_have_count(1)
    action(bob, "check me", "Reply").click()
    send(bob, "checked")
    expect(posts(bob, "checked").locator(".post-quote")).to_have_count(1)
    action(bob, "check me", "Reply").click()
    expect(bob.locator("#composer-mode")).to_be_visible()
    bob.mouse.move(1, 1)
    posts(bob, "checked").hover()
    expect(posts(bob, "checked").locator(".post-actions")).to_be_visible()
    assert axe_violations(bob) == []


def long_press(page: Page, target, hold_ms: int = 700) -> None:
    """A finger held on `target`: real touch events through Chrome's DevTools protocol."""
    box = target.bounding_box()
    point = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
    page.wait_for_timeout(hold_ms)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_a_long_press_opens_the_action_bar_on_a_phone(browser: Browser, wall: Wall) -> None:
    phone = open_wall(
        browser, wall.url, viewport={"width": 390, "height": 740}, has_touch=True, is_mobile=True
    )
    try:
        choose_name(phone, f"Thumb{_next()}")
        send_button = phone.get_by_role("button", name="Send")
        phone.get_by_label("Your post", exact=True).fill("held down")
        send_button.click()
        post = posts(phone, "held down")
        expect(post).to_have_count(1)
        expect(post.locator(".post-actions")).to_have_count(0)
        long_press(phone, post.locator(".post-content"))
        bar = post.locator(".post-actions")
        expect(bar).to_be_visible()
        expect(bar.get_by_role("button")).to_have_text(["React", "Reply", "Edit", "Delete", "Copy link"])
        save_screenshot(phone, "edits-phone-long-press.png")
        bar.get_by_role("button", name="Edit").tap()
        expect(phone.get_by_label("Your post", exact=True)).to_have_value("held down")
    finally:
        phone.context.close()


def test_up_arrow_while_the_newest_post_is_on_its_way_never_edits_an_older_one(
    browser: Browser, wall: Wall
) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    held: list[str] = []

    def hold_the_newest(socket) -> None:
        server = socket.connect_to_server()
        socket.on_message(lambda text: held.append(text) if "newest one" in text else server.send(text))

    page.route_web_socket(re.compile(r"/ws/wall/"), hold_the_newest)
    try:
        page.goto(wall.url)
        choose_name(page, f"Hasty{_next()}")
        send(page, "older one")
        expect(posts(page, "older one")).to_have_count(1)
        send(page, "newest one")
        expect(page.locator("#pending .post")).to_have_count(1)
        draft = page.get_by_label("Your post", exact=True)
        draft.press("ArrowUp")
        expect(draft).to_have_value("")
        expect(page.locator("#composer-mode")).to_be_hidden()
        assert held  # the post was sent, and is still on its way
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def wall_without_overlap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    """A wall whose resume repeats no post below `since`: an edit can only come back as `edited`."""
    with wall_with_media(tmp_path_factory.mktemp("edits-no-overlap"), WALL_RESUME_OVERLAP="0") as wall:
        yield wall


@pytest.mark.parametrize("overlap", [True, False], ids=["resent in messages", "in edited"])
def test_an_edit_missed_while_away_reaches_the_page_when_it_resumes(
    browser: Browser, request: pytest.FixtureRequest, overlap: bool
) -> None:
    """The edit's live event is dropped on its way to Bob's page; his page then reconnects with
    ?since= (close 1012) and learns of the edit from the resume."""
    wall: Wall = request.getfixturevalue("wall" if overlap else "wall_without_overlap")
    routes = []

    def drop_edits_on_the_first_socket(socket) -> None:
        server = socket.connect_to_server()
        first = not routes
        routes.append(socket)

        def to_page(text: str) -> None:
            if not (first and '"message_edited"' in text):
                socket.send(text)

        server.on_message(to_page)

    with named_page(browser, wall.url, f"Writer{_next()}") as alice:
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.route_web_socket(re.compile(r"/ws/wall/"), drop_edits_on_the_first_socket)
        try:
            page.goto(wall.url)
            choose_name(page, f"Away{_next()}")
            send(alice, "meet at 5")
            send(alice, "bring snacks")
            expect(posts(page, "bring snacks")).to_have_count(1)
            action(alice, "meet at 5", "Edit").click()
            draft = alice.get_by_label("Your post", exact=True)
            draft.fill("meet at 6")
            draft.press("Enter")
            expect(posts(alice, "meet at 6")).to_have_count(1)
            page.wait_for_timeout(500)
            expect(posts(page, "meet at 5")).to_have_count(1)  # the live edit was dropped
            routes[0].close(code=1012)
            expect(posts(page, "meet at 6")).to_have_count(1)
            expect(posts(page, "meet at 6").locator(".post-edited")).to_have_count(1)
            assert len(routes) == 2
        finally:
            page.context.close()


def test_a_moderators_hide_and_unhide_change_the_quotes_of_it_live(
    browser: Browser, wall: Wall, alice: Page, bob: Page
) -> None:
    send(alice, "borderline remark")
    expect(posts(bob, "borderline remark")).to_have_count(1)
    action(bob, "borderline remark", "Reply").click()
    send(bob, "hmm")
    quote = posts(bob, "hmm").locator(".post-quote-text")
    expect(quote).to_have_text("borderline remark")
    original_id = posts(bob, "borderline remark").get_attribute("data-id")
    set_hidden_in_the_admin(browser, wall, original_id, True)
    expect(quote).to_have_text("a removed post")
    expect(posts(alice, "hmm").locator(".post-quote-text")).to_have_text("a removed post")
    assert "borderline" not in bob.locator("#posts").inner_text()
    set_hidden_in_the_admin(browser, wall, original_id, False)
    expect(quote).to_have_text("borderline remark")
    expect(posts(bob, "hmm").locator(".post-quote")).to_be_enabled()
