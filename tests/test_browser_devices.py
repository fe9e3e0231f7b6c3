"""A name on two devices in a real Chromium (issue 15, 2): claim on one, carry it over with the
code to another browser context, post from both, and stay one person in the people list."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser_support import Wall, choose_name, open_wall, posts, save_screenshot, send, start_wall
from tests.conftest import shared_redis_env
from tests.servers import running_servers

pytestmark = pytest.mark.browser

CODE_RE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}$")


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    wall = start_wall(tmp_path_factory.mktemp("devices"), WALL_POST_RATE="off")
    yield wall
    wall.server.stop()


def test_a_name_carried_to_a_second_device_with_the_code_is_one_person(browser: Browser, wall: Wall) -> None:
    laptop = open_wall(browser, wall.url)
    choose_name(laptop, "Hana")
    send(laptop, "From the laptop")
    laptop.locator("#me-toggle").click()
    laptop.get_by_role("button", name="Use my name on another device").click()
    code = laptop.locator("#device-code")
    expect(code).to_have_text(CODE_RE)
    expect(laptop.locator("#device-qr")).to_be_visible()
    save_screenshot(laptop, "device-code.png")
    shown = code.text_content()
    laptop.get_by_role("button", name="Done").click()

    phone = open_wall(browser, wall.url, viewport={"width": 390, "height": 844})
    phone.get_by_text("I have a code from another device").click()
    phone.get_by_label("Have a code from another device?").fill(shown.lower())
    phone.get_by_role("button", name="Use this code").click()
    expect(phone.locator("#picker")).to_be_hidden()
    expect(phone.locator("#me-name")).to_have_text("Hana")
    send(phone, "From the phone")

    for page in (laptop, phone):
        expect(posts(page, "From the phone")).to_have_count(1)
        expect(posts(page, "From the laptop")).to_have_count(1)
        expect(page.locator("#people-list > li")).to_have_count(1)
        expect(page.locator("#people-list")).to_contain_text("Hana")
    save_screenshot(phone, "device-phone.png")
    saved = "JSON.parse(localStorage.getItem('wall.identity')).token"
    tokens = [page.evaluate(saved) for page in (laptop, phone)]
    assert tokens[0] != tokens[1]
    phone.context.close()
    laptop.context.close()


def test_the_link_of_the_qr_code_joins_and_signing_out_warns_first(browser: Browser, wall: Wall) -> None:
    laptop = open_wall(browser, wall.url)
    choose_name(laptop, "Ilse")
    laptop.locator("#me-toggle").click()
    laptop.get_by_role("button", name="Use my name on another device").click()
    expect(laptop.locator("#device-code")).to_have_text(CODE_RE)
    expiry = laptop.locator("#device-expiry").text_content()
    link = re.search(r"https?://\S+\?code=[0-9A-Z]+", expiry).group(0)
    laptop.get_by_role("button", name="Done").click()

    phone = open_wall(browser, link)
    expect(phone.locator("#me-name")).to_have_text("Ilse")
    assert "code=" not in phone.url  # a reload does not try the used code again

    phone.locator("#me-toggle").click()
    phone.get_by_role("button", name="Sign out on this device").click()
    warning = phone.locator("#signout-dialog")
    expect(warning).to_be_visible()
    expect(warning.get_by_role("button", name="Show a code for another device")).to_be_visible()
    warning.get_by_role("button", name="Sign out", exact=True).click()
    expect(phone.locator("#picker-intro")).to_have_text(re.compile("signed out"))
    expect(phone.locator("#me")).to_be_hidden()
    assert phone.evaluate("localStorage.getItem('wall.identity')") is None
    # The laptop keeps the name.
    send(laptop, "Still here")
    expect(posts(laptop, "Still here")).to_have_count(1)
    phone.context.close()
    laptop.context.close()


def test_a_rename_shows_on_every_page_in_posts_people_and_seen_by(browser: Browser, wall: Wall) -> None:
    bob = open_wall(browser, wall.url)
    choose_name(bob, "Bobby")
    send(bob, "Posted as Bobby")
    reader = open_wall(browser, wall.url)
    choose_name(reader, "Reader")
    expect(posts(reader, "Posted as Bobby")).to_have_count(1)
    bob.locator("#me-toggle").click()
    bob.get_by_role("button", name="Rename").click()
    bob.get_by_label("New name").fill("Łukasz")
    bob.locator("#rename-confirm").click()
    expect(bob.locator("#rename-dialog")).to_be_hidden()
    expect(bob.locator("#me-name")).to_have_text("Łukasz")
    for page in (bob, reader):
        expect(page.locator(".post-author", has_text="Łukasz")).to_have_count(1)
        expect(page.locator(".post-author", has_text="Bobby")).to_have_count(0)
        expect(page.locator("#people-list")).to_contain_text("Łukasz")
        expect(page.locator("#people-list")).not_to_contain_text("Bobby")
    save_screenshot(reader, "renamed.png")
    # "Seen by" names the reader by its new name once it renames.
    seen = bob.locator(".seen-by").last  # an earlier test's reader may be seen on an older post
    expect(seen).to_have_attribute("aria-label", "Seen by Reader")
    reader.locator("#me-toggle").click()
    reader.get_by_role("button", name="Rename").click()
    reader.get_by_label("New name").fill("Leser")
    reader.locator("#rename-confirm").click()
    expect(seen).to_have_attribute("aria-label", "Seen by Leser")
    # A refused rename is explained in the dialog.
    bob.locator("#me-toggle").click()
    bob.get_by_role("button", name="Rename").click()
    bob.get_by_label("New name").fill("LESER")
    bob.locator("#rename-confirm").click()
    expect(bob.locator("#rename-feedback")).to_have_text(re.compile("taken"))
    bob.context.close()
    reader.context.close()


# No django_db mark: the database is its own (conftest.own_database_url), as in test_browser_notice.
@pytest.mark.multiprocess
def test_a_rename_is_seen_live_by_a_page_on_the_other_server_process(
    browser: Browser, own_database_url: str, workdir
) -> None:
    with running_servers(2, shared_redis_env(own_database_url), workdir) as (first, second):
        mina = open_wall(browser, first.http_url + "/")
        choose_name(mina, "Mina")
        send(mina, "Hello from process one")
        reader = open_wall(browser, second.http_url + "/")
        choose_name(reader, "Reader")
        expect(posts(reader, "Hello from process one")).to_have_count(1)
        expect(reader.locator("#people-list")).to_contain_text("Mina")
        mina.locator("#me-toggle").click()
        mina.get_by_role("button", name="Rename").click()
        mina.get_by_label("New name").fill("Минерва")
        mina.locator("#rename-confirm").click()
        expect(reader.locator(".post-author", has_text="Минерва")).to_have_count(1)
        expect(reader.locator("#people-list")).to_contain_text("Минерва")
        expect(reader.locator("#people-list")).not_to_contain_text("Mina")
        save_screenshot(reader, "renamed-across-processes.png")
        reader.context.close()
        mina.context.close()
