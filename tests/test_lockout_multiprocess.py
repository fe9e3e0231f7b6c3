"""The login lockout holds across server processes: django-axes counts failures in the database."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.contrib.auth.models import User

from .conftest import shared_redis_env
from .servers import running_servers

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def two_servers(test_database_url, tmp_path):
    with running_servers(2, shared_redis_env(test_database_url), tmp_path) as servers:
        yield servers


def login(base_url: str, username: str, password: str) -> int:
    """One try at /admin/login/ as a browser would (its CSRF cookie and token); the status."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    page = opener.open(f"{base_url}/admin/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    try:
        return opener.open(f"{base_url}/admin/login/?next=/admin/", form.encode(), timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_failures_on_two_processes_add_up_to_one_lockout(two_servers):
    User.objects.create_user("moderator", password=PASSWORD, is_staff=True)
    first, second = two_servers
    statuses = [login(server.http_url, "moderator", "wrong") for server in (first, second, first, second)]
    assert statuses == [200] * 4
    assert login(first.http_url, "moderator", "wrong") == 429  # the fifth, on either process
    assert login(second.http_url, "moderator", PASSWORD) == 429
