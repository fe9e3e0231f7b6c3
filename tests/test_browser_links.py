"""Links and mentions in a real Chromium, two pages: http(s) URLs become links that open a new tab
without an opener or a referrer, `javascript:` stays text, `@name` of a participant is marked (the
reader's own strongly) and raises the title counter; the Big List of Naughty Strings makes no element
and fires no dialog."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import Wall, named_page, posts, save_screenshot, send, wall_with_media
from tests.wsclient import WallClient

pytestmark = pytest.mark.browser

BLNS = Path(__file__).parent / "assets" / "blns" / "blns.json"
LINK_REL = "noopener noreferrer nofollow ugc"
# Every element inside any post's text, as the page made it: only links and mentions, holding text only.
ELEMENTS_IN_POSTS = """() => [...document.querySelectorAll("#posts .post-content *")].map((node) => ({
    tag: node.tagName, cls: node.className, href: node.getAttribute("href"), children: node.children.length,
    attributes: [...node.attributes].map((attribute) => attribute.name).sort(),
}))"""


ARRIVED = """(text) => [...document.querySelectorAll("#posts .post-content")]
    .some((paragraph) => paragraph.textContent === text)"""


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    with wall_with_media(tmp_path_factory.mktemp("links"), WALL_DUPLICATE_RATE="off") as wall:
        yield wall


@pytest.fixture(scope="module")
def dialogs() -> list[str]:
    return []


@pytest.fixture(scope="module")
def page_errors() -> list[str]:
    return []


@pytest.fixture(scope="module")
def alice(browser: Browser, wall: Wall, dialogs: list[str], page_errors: list[str]) -> Iterator[Page]:
    with named_page(browser, wall.url, "Alice") as page:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        yield page


@pytest.fixture(scope="module")
def bob(browser: Browser, wall: Wall, dialogs: list[str]) -> Iterator[Page]:
    with named_page(browser, wall.url, "Bob") as page:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        yield page


def test_urls_become_links_and_javascript_stays_text(alice, bob):
    text = "see https://example.com/a?b=1, example.org and javascript:alert(1) <b>x</b>"
    send(alice, text)
    shown = posts(bob, text)
    expect(shown).to_have_count(1)
    links = shown.locator("a.post-link")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "https://example.com/a?b=1")
    expect(links.nth(0)).to_have_text("https://example.com/a?b=1")
    expect(links.nth(1)).to_have_attribute("href", "https://example.org/")
    for index in range(2):
        expect(links.nth(index)).to_have_attribute("rel", LINK_REL)
        expect(links.nth(index)).to_have_attribute("target", "_blank")
    assert bob.locator("#posts a[href^='javascript' i]").count() == 0
    assert "javascript:alert(1) <b>x</b>" in shown.locator(".post-content").inner_text()


def test_a_link_opens_in_a_new_tab_without_opener_or_referrer(wall, alice, bob):
    target = f"{wall.url}/healthz?from=a-post"
    send(alice, f"status: {target}")
    link = posts(bob, f"status: {target}").get_by_role("link")
    expect(link).to_have_attribute("rel", LINK_REL)
    with bob.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == target
    assert tab.evaluate("() => [window.opener === null, document.referrer]") == [True, ""]
    tab.close()
    assert bob.url.rstrip("/") == wall.url.rstrip("/")  # the wall stays where it was


def test_a_mention_is_marked_and_the_readers_own_name_strongly(alice, bob):
    text = "thanks @bob and @Alice, not @nobody or bob@example.com"
    send(alice, text)
    on_bob, on_alice = posts(bob, text), posts(alice, text)
    expect(on_bob.locator(".mention")).to_have_count(2)
    expect(on_bob.locator(".mention.is-me")).to_have_text("@bob")
    expect(on_alice.locator(".mention.is-me")).to_have_text("@Alice")
    expect(on_alice.locator(".mention:not(.is-me)")).to_have_text("@bob")
    colours = on_bob.locator(".mention").evaluate_all(
        "(nodes) => nodes.map((node) => getComputedStyle(node).backgroundColor)"
    )
    assert colours[0] != colours[1]  # strongly: the reader's own name stands out from another's
    save_screenshot(bob, "mentions.png")


def test_a_mention_raises_the_title_counter_while_the_tab_is_visible_and_scrolled_up(wall, bob):
    poster = WallClient(wall.server.ws_url)
    poster.join(username="Carol")
    for number in range(30):
        poster.send("message", {"content": f"filler {number}"})
    expect(posts(bob, "filler 29")).to_have_count(1)
    bob.locator("#feed").evaluate("(feed) => feed.scrollTo(0, 0)")
    bob.wait_for_timeout(300)
    poster.send("message", {"content": "@Bob are you there?"})
    expect(posts(bob, "@Bob are you there?")).to_have_count(1)
    expect(bob).to_have_title("(1 · @1) Wall")
    poster.send("message", {"content": "not for Bob"})
    expect(bob).to_have_title("(2 · @1) Wall")
    bob.get_by_role("button", name="Jump to latest").click()
    expect(bob).to_have_title("Wall")
    poster.close()


def test_the_naughty_strings_make_no_element_and_fire_no_dialog(wall, alice, bob, dialogs, page_errors):
    strings = [text for text in json.loads(BLNS.read_text()) if text.strip()]
    poster = WallClient(wall.server.ws_url)
    poster.join(username="Naughty")
    for number, text in enumerate(strings):
        poster.send("message", {"content": text, "client_id": f"n-{number}"})
    poster.send("message", {"content": "naughty done"})
    for page in (alice, bob):
        # Waited for by script: Playwright's text locators stumble over some of these strings.
        page.wait_for_function(ARRIVED, arg="naughty done", timeout=60_000)
        for element in page.evaluate(ELEMENTS_IN_POSTS):
            assert element["children"] == 0, element
            if element["tag"] == "A":
                assert element["cls"] == "post-link" and element["href"].startswith(("http://", "https://"))
                assert element["attributes"] == ["class", "href", "referrerpolicy", "rel", "target"], element
            else:
                assert (element["tag"], element["attributes"]) == ("SPAN", ["class", "data-name"]), element
    assert dialogs == []
    assert page_errors == []
    injected = "() => document.querySelectorAll('script:not([src]), iframe, object, embed').length"
    assert alice.evaluate(injected) == 0
    poster.close()
