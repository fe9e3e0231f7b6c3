"""Posting an image over the socket: upload over HTTP, then `message` with its `image_id`."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient
from PIL import Image as PILImage

from tests import imagefiles
from wall import moderation, services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

image_upload = sync_to_async(services.image_upload)
post_hide = sync_to_async(moderation.post_hide)


async def joined(sockets, username: str):
    sock = await sockets()
    welcome = await sock.join(username=username)
    return sock, welcome


async def post_image(sock, image_id: str, content: str = "", client_id: str = "c-img") -> dict:
    """Send a `message` with an image and return the answer addressed to this client_id."""
    await sock.send("message", {"content": content, "client_id": client_id, "image_id": image_id})
    while True:
        frame = await sock.receive()
        if frame["type"] in {"message", "error"}:
            data = frame["data"]["message"] if frame["type"] == "message" else frame["data"]
            if data.get("client_id") == client_id:
                return frame


async def test_a_post_with_an_image_reaches_another_client_with_a_url_that_serves_it(sockets):
    alice, welcome = await joined(sockets, "Alice")
    bob, _ = await joined(sockets, "Bob")
    http = AsyncClient()
    file = SimpleUploadedFile("screenshot.png", imagefiles.png(size=(800, 400)), content_type="image/png")
    uploaded = await http.post("/api/images/", {"file": file}, headers={"X-Wall-Token": welcome["token"]})
    assert uploaded.status_code == 201
    await post_image(alice, uploaded.json()["id"], content="Look at this")
    post = (await bob.receive_next("message"))["message"]
    assert post["author"] == "Alice" and post["content"] == "Look at this"
    assert post["image"] == uploaded.json()["url"]
    assert post["thumbnail"]["width"] == 480 and post["thumbnail"]["height"] == 240
    for url, content_type, size in (
        (post["image"], "image/png", (800, 400)),
        (post["thumbnail"]["url"], "image/webp", (480, 240)),
    ):
        served = await http.get(url)
        assert served.status_code == 200 and served["Content-Type"] == content_type
        assert served["X-Content-Type-Options"] == "nosniff"
        assert PILImage.open(io.BytesIO(b"".join(served.streaming_content))).size == size


async def test_a_post_may_be_an_image_without_text(sockets):
    alice, welcome = await joined(sockets, "Alice")
    image = await image_upload(uploader_id=int(welcome["id"]), data=imagefiles.png())
    frame = await post_image(alice, image["id"])
    assert frame["type"] == "message"
    assert frame["data"]["message"]["content"] == "" and frame["data"]["message"]["image"] == image["url"]


async def test_posts_with_the_same_text_and_different_images_are_not_duplicates(sockets, settings):
    settings.WALL_DUPLICATE_RATE = "1/1m"
    alice, welcome = await joined(sockets, "Alice")
    for number in range(3):
        image = await image_upload(uploader_id=int(welcome["id"]), data=imagefiles.png())
        frame = await post_image(alice, image["id"], content="again", client_id=f"c-{number}")
        assert frame["type"] == "message"


async def test_new_sockets_get_the_image_in_history(sockets):
    alice, welcome = await joined(sockets, "Alice")
    image = await image_upload(uploader_id=int(welcome["id"]), data=imagefiles.png())
    await post_image(alice, image["id"], content="in history")
    late = await sockets()
    [post] = late.history["messages"]
    assert post["image"] == image["url"] and post["thumbnail"]["url"].endswith("-thumb.webp")


@pytest.mark.parametrize("case", ["unknown", "someone_elses", "already_posted"])
async def test_an_image_id_that_cannot_be_posted_is_invalid_image(sockets, case):
    alice, welcome = await joined(sockets, "Alice")
    _, bob_welcome = await joined(sockets, "Bob")
    own = await image_upload(uploader_id=int(welcome["id"]), data=imagefiles.png())
    bobs = await image_upload(uploader_id=int(bob_welcome["id"]), data=imagefiles.png())
    if case == "already_posted":
        assert (await post_image(alice, own["id"], client_id="c-first"))["type"] == "message"
    image_id = {"unknown": "999999", "someone_elses": bobs["id"], "already_posted": own["id"]}[case]
    frame = await post_image(alice, image_id, content="mine?", client_id="c-bad")
    assert frame["type"] == "error"
    assert frame["data"]["code"] == "invalid_image" and frame["data"]["client_id"] == "c-bad"


async def test_a_resend_of_a_posted_image_returns_the_first_post(sockets):
    alice, welcome = await joined(sockets, "Alice")
    image = await image_upload(uploader_id=int(welcome["id"]), data=imagefiles.png())
    first = await post_image(alice, image["id"], client_id="c-once")
    again = await post_image(alice, image["id"], client_id="c-once")
    assert again["type"] == "message" and again["data"]["message"] == first["data"]["message"]


async def test_hiding_a_post_with_an_image_removes_it_from_every_wall_and_from_history(sockets):
    alice, welcome = await joined(sockets, "Alice")
    reader = await sockets()
    image = await image_upload(uploader_id=int(welcome["id"]), data=imagefiles.png())
    post = (await post_image(alice, image["id"]))["data"]["message"]
    await reader.receive_next("message")
    await post_hide(post_ids=[int(post["id"])])
    assert await reader.receive_next("message_deleted") == {"id": post["id"]}
    assert (await sockets()).history["messages"] == []
