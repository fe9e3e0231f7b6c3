"""Posting over the socket: save, then broadcast to everyone; client_id de-duplication."""

import pytest

from wall.models import Post

pytestmark = pytest.mark.django_db(transaction=True)


async def test_post_from_one_socket_reaches_another(sockets):
    alice, reader = await sockets(), await sockets()
    await alice.join(username="Alice")
    post = await alice.post("hello wall", client_id="c-1")
    assert post["author"] == "Alice" and post["content"] == "hello wall" and post["client_id"] == "c-1"
    assert (await reader.receive_next("message"))["message"] == post


async def test_the_sender_gets_its_own_post_exactly_once(sockets):
    alice = await sockets()
    await alice.join(username="Alice")
    await alice.post("only once", client_id="c-once")
    assert await alice.nothing_more()


async def test_post_is_saved_before_it_is_broadcast(sockets):
    alice = await sockets()
    await alice.join(username="Alice")
    post = await alice.post("saved first")
    saved = await Post.objects.aget(pk=int(post["id"]))
    assert saved.content == "saved first"


async def test_post_shape_matches_the_contract(sockets):
    alice = await sockets()
    await alice.join(username="Alice")
    post = await alice.post("shape", client_id="c-shape")
    assert set(post) == {
        "id",
        "author",
        "content",
        "created_at",
        "edited_at",
        "image",
        "thumbnail",
        "client_id",
        "reply_to",
        "reactions",
        "mentions",
    }
    assert isinstance(post["id"], str) and post["id"].isdigit()
    assert post["image"] is None and post["thumbnail"] is None
    assert "T" in post["created_at"] and post["created_at"].endswith("+00:00")


async def test_content_is_trimmed(sockets):
    alice = await sockets()
    await alice.join(username="Alice")
    assert (await alice.post("  padded \n"))["content"] == "padded"


async def test_repeated_client_id_does_not_create_a_second_post(sockets):
    alice, reader = await sockets(), await sockets()
    await alice.join(username="Alice")
    first = await alice.post("once", client_id="c-dup")
    assert (await reader.receive_next("message"))["message"] == first
    again = await alice.post("once", client_id="c-dup")
    assert again == first
    assert await Post.objects.acount() == 1
    assert await reader.nothing_more()


async def test_same_client_id_from_another_user_is_a_new_post(sockets):
    alice, bob = await sockets(), await sockets()
    await alice.join(username="Alice")
    await bob.join(username="Bob")
    await alice.post("a", client_id="c-same")
    await bob.post("b", client_id="c-same")
    assert await Post.objects.acount() == 2


async def test_reader_without_join_receives_live_posts(sockets):
    reader, alice = await sockets(), await sockets()
    await alice.join(username="Alice")
    await alice.post("for readers")
    assert (await reader.receive_next("message"))["message"]["content"] == "for readers"


async def test_unicode_content_survives_the_round_trip(sockets):
    alice = await sockets()
    await alice.join(username="Alice")
    text = "héllo 👋 — 漢字 <b>not bold</b>"
    assert (await alice.post(text))["content"] == text


async def test_content_of_exactly_the_limit_is_accepted(sockets, settings):
    alice = await sockets()
    await alice.join(username="Alice")
    text = "x" * settings.WALL_CONTENT_MAX
    assert (await alice.post(text))["content"] == text
