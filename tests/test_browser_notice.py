"""An operator's notice reaches pages on two server processes as a banner each can dismiss."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser_support import axe_violations, just_read, open_wall, save_screenshot
from tests.servers import ROOT, running_servers

from .conftest import shared_redis_env

# No django_db mark (see conftest.own_database_url).
pytestmark = [pytest.mark.browser, pytest.mark.multiprocess]

TEXT = "Maintenance at 18:00: the wall restarts for a minute"


def test_a_notice_from_manage_py_shows_on_every_page_until_dismissed(own_database_url, browser, workdir):
    env = shared_redis_env(own_database_url)
    with running_servers(2, env, workdir) as (first, second):
        pages = [open_wall(browser, first.http_url), open_wall(browser, second.http_url)]
        for page in pages:
            just_read(page)
            expect(page.locator("#status")).to_have_attribute("data-state", "live")
        result = subprocess.run(
            [sys.executable, "manage.py", "wall_notice", TEXT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        for page in pages:
            expect(page.locator(".notice-text")).to_have_text(TEXT)
        assert axe_violations(pages[1]) == []
        save_screenshot(pages[1], "notice.png")
        pages[0].get_by_role("button", name="Dismiss notice").click()
        expect(pages[0].locator(".notice")).to_have_count(0)
        expect(pages[1].locator(".notice-text")).to_have_text(TEXT)
        for page in pages:
            page.context.close()
