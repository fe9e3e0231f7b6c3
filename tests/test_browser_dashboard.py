"""The admin dashboard in a real Chromium: a staff user sees the wall live as people post."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser_support import Wall, choose_name, open_wall, save_screenshot, send, start_wall
from tests.servers import ROOT

pytestmark = pytest.mark.browser

PASSWORD = "a-long-dashboard-password-1"


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    wall = start_wall(tmp_path_factory.mktemp("dashboard"))
    admin = {"DJANGO_SUPERUSER_USERNAME": "moderator", "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput", "--email", "m@example.org"],
        cwd=ROOT,
        env={**wall.env, **admin},
        check=True,
        capture_output=True,
    )
    yield wall
    wall.server.stop()


def test_the_admin_index_shows_the_wall_live(browser: Browser, wall: Wall):
    admin = open_wall(browser, f"{wall.url}/admin/")
    admin.get_by_label("Username").fill("moderator")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    expect(admin.locator("#wall-dashboard-status")).to_have_text("live")
    expect(admin.locator("#wall-dashboard-posts")).to_have_text("0")
    expect(admin.locator("#wall-dashboard-processes tr")).to_have_count(1)

    reader = open_wall(browser, wall.url)
    choose_name(reader, "Dana")
    send(reader, "Seen from the admin")
    expect(admin.locator("#wall-dashboard-posts")).to_have_text("1", timeout=10_000)
    expect(admin.locator("#wall-dashboard-online")).to_have_text("1")
    cells = admin.locator("#wall-dashboard-processes td")
    expect(cells.nth(1)).to_have_text("1")  # the reader's socket (the dashboard's own is not a wall socket)
    expect(cells.nth(2)).to_have_text("1")  # joined as Dana
    save_screenshot(admin, "admin-dashboard.png")
    for page in (admin, reader):
        page.context.close()


def test_the_dashboard_socket_refuses_a_visitor_who_is_not_staff(browser: Browser, wall: Wall):
    page = open_wall(browser, f"{wall.url}/admin/login/")
    closed = page.evaluate(
        """() => new Promise((resolve) => {
            const socket = new WebSocket(`ws://${location.host}/ws/admin/dashboard/`);
            socket.onopen = () => resolve("opened");
            socket.onclose = (event) => resolve(`closed ${event.code}`);
        })"""
    )
    assert closed.startswith("closed")
    page.context.close()
