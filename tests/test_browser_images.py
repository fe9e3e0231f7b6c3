"""Images on the page in a real Chromium: paste, drop or pick, preview, upload, thumbnail, full size."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser_support import (
    Wall,
    choose_name,
    open_wall,
    pick_random_name,
    posts,
    save_screenshot,
    send,
    start_wall,
)

pytestmark = pytest.mark.browser

PASTE = """({ base64, name, type, target }) => {
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], name, { type }));
    const event = new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true });
    document.querySelector(target).dispatchEvent(event);
    return event.defaultPrevented;
}"""

DROP = """({ base64, name, type, target }) => {
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], name, { type }));
    const element = document.querySelector(target);
    for (const kind of ["dragenter", "dragover", "drop"]) {
        element.dispatchEvent(new DragEvent(kind, { dataTransfer: data, bubbles: true, cancelable: true }));
    }
}"""


def chart_png(size: tuple[int, int] = (960, 540)) -> bytes:
    """A screenshot-like picture: a bar chart on white, drawn to fit `size`."""
    width, height = size
    margin = max(4, height // 10)
    image = Image.new("RGB", size, (250, 250, 252))
    draw = ImageDraw.Draw(image)
    draw.line((margin, height - margin, width - margin, height - margin), fill=(90, 90, 100), width=3)
    draw.line((margin, margin, margin, height - margin), fill=(90, 90, 100), width=3)
    colors = [(52, 81, 209), (23, 128, 58), (224, 150, 40), (192, 38, 45), (120, 70, 200)]
    step = (width - 2 * margin) / len(colors)
    for index, share in enumerate([0.35, 0.55, 0.45, 0.8, 0.65]):
        left = margin + index * step + step * 0.2
        top = height - margin - share * (height - 2 * margin)
        draw.rectangle((left, top, left + step * 0.6, height - margin - 2), fill=colors[index])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


CHART = chart_png()


def paste_image(page: Page, data: bytes = CHART, name: str = "screenshot.png") -> bool:
    payload = {
        "base64": base64.b64encode(data).decode(),
        "name": name,
        "type": "image/png",
        "target": "#draft",
    }
    return page.evaluate(PASTE, payload)


def image_in(page: Page, text: str):
    return posts(page, text).locator("img.post-image")


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    folder = tmp_path_factory.mktemp("images")
    wall = start_wall(folder, WALL_POST_RATE="off", DJANGO_MEDIA_ROOT=str(folder / "media"))
    yield wall
    wall.server.stop()


@pytest.fixture(scope="module")
def console_errors() -> list[str]:
    """Errors either page logged (CSP violations are logged as errors) or threw."""
    return []


def named_page(browser: Browser, wall: Wall, name: str, console_errors: list[str]) -> Page:
    page = open_wall(browser, wall.url)
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    choose_name(page, name)
    return page


@pytest.fixture(scope="module")
def alice(browser: Browser, wall: Wall, console_errors: list[str]) -> Iterator[Page]:
    page = named_page(browser, wall, "Alice", console_errors)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def bob(browser: Browser, wall: Wall, console_errors: list[str]) -> Iterator[Page]:
    page = named_page(browser, wall, "Bob", console_errors)
    yield page
    page.context.close()


def test_a_pasted_image_is_previewed_posted_and_shown_on_the_other_page(alice: Page, bob: Page) -> None:
    assert paste_image(alice) is True
    preview = alice.locator("#attachment")
    expect(preview).to_be_visible()
    expect(preview.locator(".attachment-thumb")).to_have_attribute("src", re.compile(r"^blob:"))
    expect(preview.locator(".attachment-status")).to_contain_text("ready")
    save_screenshot(alice, "images-composer.png")
    send(alice, "Sales are up this quarter")
    expect(preview).to_be_hidden()
    for page in (alice, bob):
        image = image_in(page, "Sales are up this quarter")
        expect(image).to_have_attribute("alt", "Sales are up this quarter")
        expect(image).to_have_attribute("src", re.compile(r"/media/images/\d{4}/\d{2}/[\w-]+-thumb\.webp$"))
        expect(image).to_have_js_property("naturalWidth", 480)
    expect(alice.locator("#pending .post")).to_have_count(0)
    bob.mouse.move(0, 0)
    save_screenshot(bob, "images-wall.png")


def test_clicking_a_thumbnail_opens_the_full_size_image(bob: Page) -> None:
    image_in(bob, "Sales are up this quarter").click()
    full = bob.locator("#lightbox .lightbox-image")
    expect(bob.locator("#lightbox")).to_be_visible()
    expect(full).to_have_attribute("src", re.compile(r"/media/images/\d{4}/\d{2}/[\w-]+\.png$"))
    expect(full).to_have_js_property("naturalWidth", 960)
    expect(bob.locator("#lightbox .lightbox-caption")).to_have_text("Alice: Sales are up this quarter")
    save_screenshot(bob, "images-lightbox.png")
    bob.keyboard.press("Escape")
    expect(bob.locator("#lightbox")).to_be_hidden()


def test_the_pending_post_shows_the_local_preview_while_the_upload_runs(alice: Page, bob: Page) -> None:
    held: list[Route] = []
    alice.route("**/api/images/", lambda route: held.append(route))
    try:
        paste_image(alice, name="slow.png")
        expect(alice.locator("#attachment .attachment-status")).to_contain_text("Uploading")
        send(alice, "Held upload")
        pending = alice.locator("#pending .post.is-pending")
        expect(pending.locator("img.post-image")).to_have_attribute("src", re.compile(r"^blob:"))
        expect(pending.locator(".post-status")).to_contain_text("Uploading the image")
        assert len(held) == 1
        held[0].continue_()
    finally:
        alice.unroute("**/api/images/")
    expect(image_in(bob, "Held upload")).to_have_js_property("naturalWidth", 480)
    expect(alice.locator("#pending .post")).to_have_count(0)


def test_an_image_picked_with_the_button_is_posted_without_text(alice: Page, bob: Page) -> None:
    with alice.expect_file_chooser() as chooser:
        alice.get_by_role("button", name="Add an image").click()
    chooser.value.set_files([{"name": "dot.png", "mimeType": "image/png", "buffer": chart_png((200, 100))}])
    expect(alice.locator("#attachment .attachment-status")).to_contain_text("ready")
    expect(alice.get_by_role("button", name="Send")).to_be_enabled()
    alice.get_by_role("button", name="Send").click()
    image = bob.locator("#posts .post img.post-image[alt='Image posted by Alice']")
    expect(image).to_have_count(1)
    expect(image).to_have_js_property("naturalWidth", 200)


def test_a_dropped_image_is_attached_and_can_be_removed(alice: Page) -> None:
    payload = {"base64": base64.b64encode(CHART).decode(), "name": "drop.png", "type": "image/png"}
    alice.evaluate(DROP, {**payload, "target": "#feed"})
    expect(alice.locator("#attachment .attachment-name")).to_have_text("drop.png")
    expect(alice.locator("#wall-pane")).not_to_have_class(re.compile("is-dropping"))
    alice.get_by_role("button", name="Remove the image").click()
    expect(alice.locator("#attachment")).to_be_hidden()
    expect(alice.get_by_role("button", name="Send")).to_be_disabled()


@pytest.mark.parametrize(
    ("name", "mime", "data", "reason"),
    [
        (
            "notes.png",
            "image/png",
            b"only text, named .png",
            "This file is not a PNG, JPEG, GIF or WebP image.",
        ),
        (
            "logo.svg",
            "image/svg+xml",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            "Only PNG, JPEG, GIF or WebP",
        ),
    ],
    ids=["server-refuses", "page-refuses"],
)
def test_a_file_that_cannot_be_posted_shows_why_and_blocks_sending(
    alice: Page, name: str, mime: str, data: bytes, reason: str
) -> None:
    alice.locator("#attach-input").set_input_files([{"name": name, "mimeType": mime, "buffer": data}])
    expect(alice.locator("#attachment .attachment-status.is-error")).to_contain_text(reason)
    alice.get_by_label("Your post", exact=True).fill("with a broken file")
    expect(alice.get_by_role("button", name="Send")).to_be_disabled()
    expect(alice.locator("#composer-hint-text")).to_have_text("Remove the image to send.")
    alice.get_by_role("button", name="Remove the image").click()
    expect(alice.get_by_role("button", name="Send")).to_be_enabled()
    alice.get_by_label("Your post", exact=True).fill("")


def test_an_image_post_fits_the_phone_layout(browser: Browser, wall: Wall) -> None:
    page = open_wall(browser, wall.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    pick_random_name(page)
    image = image_in(page, "Sales are up this quarter")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("naturalWidth", 480)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = image.bounding_box()
    assert box["x"] >= 40 and box["x"] + box["width"] <= 390 - 8, box  # beside the avatar, inside the feed
    save_screenshot(page, "images-phone.png")
    page.context.close()


def test_the_pages_logged_no_errors_and_no_content_security_policy_violations(
    alice: Page, bob: Page, console_errors: list[str]
) -> None:
    bob.reload()
    expect(image_in(bob, "Sales are up this quarter")).to_have_js_property("naturalWidth", 480)
    # The upload the page refused by itself logs nothing; the one the server refused logs its 400.
    assert [error for error in console_errors if "400 (Bad Request)" not in error] == []
