"""A dead network in a real Chromium (issue 13, 7): noticed in seconds, shown, and recovered from."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser_support import choose_name, open_wall, pick_random_name, posts, send, start_wall, status

pytestmark = pytest.mark.browser

CONTRAST = """(node) => {
    const channel = (value) => {
        value /= 255;
        return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
    };
    const luminance = (color) => {
        const [r, g, b] = color.match(/[\\d.]+/g).map(Number);
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    let back = node;
    const see = (element) => getComputedStyle(element).backgroundColor.match(/[\\d.]+/g)?.[3] !== "0";
    while (back && !see(back)) back = back.parentElement;
    const a = luminance(getComputedStyle(node).color);
    const b = luminance(getComputedStyle(back).backgroundColor);
    const style = getComputedStyle(node);
    return { ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), opacity: style.opacity };
}"""


def test_a_lost_network_shows_the_banner_in_seconds_and_try_now_reconnects(
    browser: Browser, tmp_path
) -> None:
    wall = start_wall(tmp_path)
    try:
        page = open_wall(browser, wall.url)
        other = open_wall(browser, wall.url)
        choose_name(page, "Robin")
        pick_random_name(other)
        expect(status(page)).to_have_attribute("data-state", "live")
        page.context.set_offline(True)
        banner = page.locator("#outage")
        expect(banner).to_be_visible(timeout=3000)
        expect(banner).to_contain_text(re.compile("offline|Reconnecting"))
        expect(page.locator("#people-stale")).to_be_visible()
        expect(page.locator("#people-stale")).to_have_text(re.compile("out of date"))
        send(page, "Written while offline")
        pending = page.locator("#pending .post.is-pending .post-content")
        expect(pending).to_have_text("Written while offline")
        contrast = pending.evaluate(CONTRAST)
        assert contrast["ratio"] >= 4.5 and contrast["opacity"] == "1", contrast
        page.context.set_offline(False)
        expect(banner).to_contain_text(re.compile(r"Reconnecting in \d+ s|Reconnecting…"), timeout=5000)
        try_now = page.get_by_role("button", name="Try now")
        if try_now.is_visible():
            try_now.click()
        expect(status(page)).to_have_attribute("data-state", "live", timeout=5000)
        expect(banner).to_be_hidden()
        expect(page.locator("#people-stale")).to_be_hidden()
        expect(posts(other, "Written while offline")).to_have_count(1)
    finally:
        wall.server.stop()


def test_the_banner_counts_down_and_try_now_skips_the_wait(browser: Browser, tmp_path) -> None:
    wall = start_wall(tmp_path)
    try:
        page = open_wall(browser, wall.url)
        pick_random_name(page)
        wall.server.kill()
        banner = page.locator("#outage")
        # Past the first attempts the wait is several seconds: "Try now" does not wait for it.
        expect(banner).to_contain_text(re.compile(r"Reconnecting in ([4-9]|\d\d) s"), timeout=20_000)
        wall.restart_on_same_port()
        page.get_by_role("button", name="Try now").click()
        expect(status(page)).to_have_attribute("data-state", "live", timeout=2500)
        expect(banner).to_be_hidden()
    finally:
        wall.server.stop()


def test_a_tab_coming_back_checks_its_connection_at_once(browser: Browser, tmp_path) -> None:
    """The 25 s + 10 s budget is the upper bound: a tab that becomes visible asks at once."""
    import signal

    wall = start_wall(tmp_path)
    try:
        page = open_wall(browser, wall.url)
        pick_random_name(page)
        expect(status(page)).to_have_attribute("data-state", "live")
        wall.server.process.send_signal(signal.SIGSTOP)
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(status(page)).to_have_attribute("data-state", "reconnecting", timeout=7000)
        wall.server.process.send_signal(signal.SIGCONT)
        expect(status(page)).to_have_attribute("data-state", "live", timeout=20_000)
    finally:
        wall.server.process.send_signal(signal.SIGCONT)
        wall.server.stop()
