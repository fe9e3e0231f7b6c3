"""Guards for the places the wall relies on another project's internals (docs/decisions.md, "Other
projects' internals"): each test fails when the internal changes shape, so an upgrade says where
to look instead of breaking quietly. Versions checked: Channels 4.3.2, channels-redis 4.3,
daphne 4.2.3, autobahn 26.11.1, asgiref 3.13.0, Python 3.11."""

from __future__ import annotations

import ast
import asyncio
import inspect
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import SyncToAsync
from channels.consumer import AsyncConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.utils import await_many_dispatch

from wall.consumers import WallConsumer
from wall.live.writer import start_eagerly


def calls_in(function: object) -> list[str]:
    """The names of the functions `function` calls, in source order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.append(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "?"))
    return names


def test_channels_dispatch_only_adds_the_connection_hop_the_wall_skips():
    """WallConsumer.dispatch copies AsyncConsumer.dispatch minus `aclose_old_connections()`."""
    assert sorted(calls_in(AsyncConsumer.dispatch)) == sorted(
        ["getattr", "get_handler_name", "aclose_old_connections", "handler", "ValueError"]
    )
    assert sorted(calls_in(WallConsumer.dispatch)) == sorted(
        ["getattr", "get_handler_name", "handler", "ValueError"]
    )


def test_channels_websocket_disconnect_only_adds_groups_and_the_connection_hop():
    """WallConsumer.websocket_disconnect copies Channels' minus leaving `groups` (it has none) and
    `aclose_old_connections()`."""
    assert sorted(calls_in(AsyncWebsocketConsumer.websocket_disconnect)) == sorted(
        ["group_discard", "InvalidChannelLayerError", "disconnect", "aclose_old_connections", "StopConsumer"]
    )
    assert sorted(calls_in(WallConsumer.websocket_disconnect)) == sorted(
        ["disconnect", "get", "StopConsumer"]
    )
    assert not WallConsumer.groups


def test_channels_consumer_call_only_adds_a_channel_and_many_sources_the_wall_does_not_have():
    """WallConsumer.__call__ copies AsyncConsumer.__call__ for no channel layer, with a plain receive
    loop in place of `await_many_dispatch([receive], self.dispatch)`, which also dispatches one
    message at a time and stops on StopConsumer."""
    assert sorted(calls_in(AsyncConsumer.__call__)) == sorted(
        ["get_channel_layer", "new_channel", "partial", "async_to_sync"] + ["await_many_dispatch"] * 2
    )
    source = textwrap.dedent(inspect.getsource(await_many_dispatch))
    assert "await dispatch(result)" in source and "asyncio.ensure_future" in source
    assert sorted(calls_in(WallConsumer.__call__)) == sorted(["dispatch", "receive"])


def test_channels_keeps_the_raw_asgi_send_as_base_send():
    """The writer sends ASGI messages through `consumer.base_send`, the server's own `send`."""
    source = textwrap.dedent(inspect.getsource(AsyncConsumer.__call__))
    assert "self.base_send = send" in source
    assert calls_in(AsyncConsumer.send) == ["base_send"]


def test_channels_opens_no_channel_for_an_alias_it_does_not_know():
    """WallConsumer.channel_layer_alias = None relies on get_channel_layer(None) being None and on
    AsyncConsumer opening a channel only when it is not (the behaviour: tests/test_live_member.py)."""
    from channels.layers import get_channel_layer

    assert get_channel_layer(None) is None
    source = textwrap.dedent(inspect.getsource(AsyncConsumer.__call__))
    assert "get_channel_layer(self.channel_layer_alias)" in source
    assert "if self.channel_layer is not None:" in source


async def test_channels_redis_keeps_one_pubsub_layer_per_loop_with_its_channels():
    """tests/test_live_member.py reads `_get_layer().channels` to count the channels opened."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:1/0"])
    per_loop = layer._get_layer()
    assert per_loop is layer._get_layer() and per_loop.channels == {}
    await layer.flush()


def test_daphne_close_is_reachable_through_autobahn_close_frames():
    """wallsite.daphne_support replaces WebSocketProtocol.serverClose(code) and sends through
    autobahn's sendCloseFrame(code=, isReply=) while the socket is STATE_OPEN."""
    from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
    from daphne.ws_protocol import WebSocketProtocol

    assert list(inspect.signature(WebSocketProtocol.serverClose).parameters) == ["self", "code"]
    assert {"code", "isReply"} <= set(inspect.signature(AutobahnProtocol.sendCloseFrame).parameters)
    assert WebSocketProtocol.STATE_OPEN == AutobahnProtocol.STATE_OPEN


@pytest.mark.parametrize(
    ("server", "loaded"), [("daphne.cli", True), ("uvicorn.main", False)], ids=["daphne", "uvicorn"]
)
def test_daphne_is_detected_by_its_websocket_module_being_loaded(server, loaded):
    """wallsite.daphne_support patches only when `daphne.ws_protocol` is in sys.modules: daphne's
    command line loads it before the application, uvicorn never does."""
    code = f"import sys, {server}; print('daphne.ws_protocol' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == str(loaded)


async def test_a_coroutine_hands_its_task_the_future_it_waits_on():
    """start_eagerly steps a coroutine by hand: `send(None)` returns the future it waits on, or None
    for a bare yield (asyncio.sleep(0)). Python 3.12's asyncio.eager_task_factory replaces it."""
    future = asyncio.get_running_loop().create_future()

    async def waits() -> None:
        await future

    async def yields() -> None:
        await asyncio.sleep(0)

    coroutine = waits()
    assert coroutine.send(None) is future
    coroutine.close()
    coroutine = yields()
    assert coroutine.send(None) is None
    coroutine.close()
    future.set_result(None)
    assert start_eagerly(waits()) is None


def test_asgiref_runs_thread_sensitive_calls_on_one_executor():
    """tests/conftest.py closes the connections of the thread Django's async ORM runs on."""
    assert isinstance(SyncToAsync.single_thread_executor, ThreadPoolExecutor)
    assert SyncToAsync.single_thread_executor._max_workers == 1


def test_confusable_homoglyphs_keeps_unicode_pairs_both_ways_and_scripts_by_alias():
    """wall/names.py reads the library's data directly (docs/decisions.md)."""
    from confusable_homoglyphs import categories, confusables

    data = confusables.confusables_data
    assert {"c": "B", "n": "LATIN CAPITAL LETTER B"} in data["\u0412"]
    assert any(item["c"] == "\u0412" for item in data["B"])
    assert data["m"] == [{"c": "rn", "n": "LATIN SMALL LETTER R, LATIN SMALL LETTER N"}]
    scripts = [categories.alias(char) for char in "a\u0414\u738b-\u0301"]
    assert scripts == ["LATIN", "CYRILLIC", "HAN", "COMMON", "INHERITED"]


@pytest.mark.django_db
def test_select_related_leaves_a_dangling_unconstrained_foreign_key_none_and_keeps_its_id():
    """wall.selectors.reply_payload: a reply whose original row is gone reads back with `reply_to`
    None (the LEFT JOIN found nothing) and `reply_to_id` still set, without a query or an error."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wall.models import Participant, Post

    author = Participant.objects.create(username="Alice", token_hash="x" * 64)
    original = Post.objects.create(author=author, content="gone soon")
    reply = Post.objects.create(author=author, content="re", reply_to=original)
    Post.objects.filter(pk=original.pk).delete()
    with CaptureQueriesContext(connection) as queries:
        [read] = Post.objects.select_related("author", "reply_to__author").filter(pk=reply.pk)
        assert read.reply_to is None and read.reply_to_id == original.pk
    assert len(queries) == 1


def test_axes_is_locked_takes_a_bare_request_and_credentials():
    """wall.moderation.page_moderator asks django-axes about a page's moderator with a bare
    HttpRequest (REMOTE_ADDR only) and {"username": ...}: the proxy fills in the rest of what its
    handlers read (`update_request`). Behaviour: tests/test_lockout.py (the page's actions)."""
    from axes.handlers.proxy import AxesProxyHandler

    assert list(inspect.signature(AxesProxyHandler.is_locked).parameters) == ["request", "credentials"]
    assert "update_request" in calls_in(AxesProxyHandler.is_locked)
