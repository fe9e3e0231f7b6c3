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
    assert await Post.objects.acount() == 1
