"""HTTP: the page, name availability and the health check."""

import pytest
from django.test import AsyncClient

from wall import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_page_renders_with_the_limits_and_its_script(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="module"' in html and "wall/wall.js" in html
    assert "2000" in html


def test_the_page_has_a_content_security_policy_without_inline_script(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize(
    ("name", "available", "reason"),
    [
        ("Fresh", True, None),
        ("x", False, "invalid"),
        ("two%20%20spaces", False, "invalid"),
        ("a" * 33, False, "invalid"),
    ],
)
def test_username_availability(client, name, available, reason):
    body = client.get(f"/api/usernames/{name}").json()
    assert (body["available"], body["reason"]) == (available, reason)


def test_a_claimed_name_is_taken_whatever_its_case(client):
    services.participant_claim(username="Bob")
    assert client.get("/api/usernames/bOB").json() == {
        "username": "bOB",
        "available": False,
        "reason": "taken",
        "message": "The name bOB is taken.",
        "suggestion": "bOB2",
    }


def test_a_taken_name_suggests_the_first_free_variant(client):
    for name in ("Ann", "Ann2"):
        services.participant_claim(username=name)
    assert client.get("/api/usernames/ann").json()["suggestion"] == "ann3"


def test_username_availability_only_answers_get(client):
    assert client.post("/api/usernames/Bob").status_code == 405


async def test_healthz_is_ok_when_database_and_bus_answer(store):
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok"}


async def test_healthz_is_503_when_redis_is_unreachable(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "down"}
