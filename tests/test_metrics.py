"""/metrics: off by default, guarded by a token or an address allowlist, counters that move with
traffic, in this process and scraped from two real server processes."""

from __future__ import annotations

import re
import urllib.request

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from wall import metrics

from .conftest import shared_redis_env
from .servers import running_servers
from .wsclient import WallClient

TOKEN = "a-long-random-metrics-token"


@pytest.fixture
def metrics_on(settings):
    settings.WALL_METRICS = True
    settings.WALL_METRICS_TOKEN = TOKEN
    settings.WALL_METRICS_ALLOW = ["127.0.0.1/8"]


def test_metrics_are_off_by_default():
    assert Client().get("/metrics").status_code == 404


@pytest.mark.parametrize(
    "address, authorization, status",
    [
        ("203.0.113.5", None, 401),
        ("203.0.113.5", "Bearer wrong", 403),
        ("203.0.113.5", f"Bearer {TOKEN}", 200),
        ("203.0.113.5", TOKEN, 200),
        ("127.0.0.1", None, 200),
        ("10.0.0.1", "Basic abc", 403),
    ],
)
def test_metrics_need_the_token_or_an_allowed_address(metrics_on, address, authorization, status):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client(REMOTE_ADDR=address).get("/metrics", **headers)
    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"process": metrics.PROCESS, **labels}) or 0.0


@pytest.mark.django_db(transaction=True)
async def test_traffic_moves_the_wall_counters(sockets):
    published = sample("wall_events_published_total", type="message")
    delivered = sample("wall_events_delivered_total", type="message")
    refused = sample("wall_refusals_total", code="bad_request")
    saves = sample("wall_post_save_seconds_count")
    reader, poster = await sockets(), await sockets()
    await poster.join(username="Counter")
    await poster.post("counted")
    await reader.receive_next("message")
    await poster.send("history", {"before": "x"})
    await poster.receive_next("error")
    assert sample("wall_events_published_total", type="message") == published + 1
    assert sample("wall_events_delivered_total", type="message") >= delivered + 2
    assert sample("wall_refusals_total", code="bad_request") == refused + 1
    assert sample("wall_post_save_seconds_count") == saves + 1
    assert sample("wall_sockets_open") >= 2


def scrape(server) -> str:
    request = urllib.request.Request(
        f"{server.http_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels...}` in a scrape (labels matched as a subset), 0 when absent."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{key}="{val}"' in match.group(1) for key, val in labels.items()):
            return float(match.group(2))
    return 0.0


@pytest.mark.multiprocess
@pytest.mark.django_db(transaction=True)
def test_two_real_processes_each_export_moving_counters(test_database_url, workdir):
    env = shared_redis_env(
        test_database_url,
        WALL_METRICS="1",
        WALL_METRICS_TOKEN=TOKEN,
        WALL_METRICS_ALLOW="192.0.2.1/32",  # not loopback: the token is what lets the scrape in
    )
    with running_servers(2, env, workdir) as servers:
        before = [scrape(server) for server in servers]
        readers = [WallClient(server.ws_url) for server in servers]
        poster = WallClient(servers[0].ws_url)
        poster.join(username="Scraped")
        poster.send("message", {"content": "count me", "client_id": "c-1"})
        for reader in readers:
            assert reader.receive_next("message")["message"]["content"] == "count me"
        after = [scrape(server) for server in servers]
        processes = {re.search(r'wall_sockets_open\{process="([^"]+)"\}', text).group(1) for text in after}
        assert len(processes) == 2
        for old, new in zip(before, after, strict=True):
            assert value(new, "wall_events_delivered_total", type="message") > value(
                old, "wall_events_delivered_total", type="message"
            )
            assert value(new, "wall_sockets_open") >= 1
            assert "django_http_requests_total_by_method_total" in new  # django-prometheus
            assert "django_db_execute_total" in new
        assert value(after[0], "wall_events_published_total", type="message") >= 1
