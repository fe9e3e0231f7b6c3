"""HTTP: POST /api/images/ (token, refusals, storage), the files under /media/, and the admin thumbnail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image as PILImage

from tests import imagefiles
from wall import moderation, services
from wall.models import Image, Participant

# The upload view works in a database thread of its own (wall/db.py), which sees committed rows only.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def claim(username: str = "Alice") -> services.Claim:
    return services.participant_claim(username=username)


def upload(client: Client, data: bytes, token: str | None, name: str = "picture.png", **extra):
    headers = {"X-Wall-Token": token} if token is not None else {}
    files = {"file": SimpleUploadedFile(name, data, content_type="image/png")}
    return client.post("/api/images/", {**files, **extra}, headers=headers)


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- uploading -------------------------------------------------------------------------------------


def test_an_upload_answers_201_with_the_id_and_url_of_the_stored_image(client, media):
    alice = claim()
    response = upload(client, imagefiles.jpeg_with_exif(), alice.token, name="holiday.jpg")
    assert response.status_code == 201
    answer = response.json()
    assert set(answer) == {"id", "url"} and answer["id"].isdigit()
    image = Image.objects.get(pk=int(answer["id"]))
    assert image.uploader_id == alice.id and image.post is None
    assert answer["url"] == image.file.url and answer["url"].startswith("/media/images/")
    assert image.content_type == "image/jpeg" and (image.width, image.height) == (64, 48)
    assert [path.name for path in files_under(media)] == sorted(
        [Path(image.file.name).name, Path(image.thumbnail.name).name]
    )
    assert "holiday" not in image.file.name  # Names are random, not the uploader's.


def test_a_multi_picture_jpeg_is_stored_as_a_jpeg_of_its_first_picture(client, media):
    response = upload(client, imagefiles.mpo(second=(30, 20)), claim().token, name="stereo.jpg")
    assert response.status_code == 201
    image = Image.objects.get(pk=int(response.json()["id"]))
    assert image.content_type == "image/jpeg" and image.file.name.endswith(".jpg")
    stored = PILImage.open(media / image.file.name)
    assert stored.format == "JPEG" and stored.size == (64, 48) == (image.width, image.height)


def test_the_stored_file_has_no_exif_left(client, media):
    response = upload(client, imagefiles.jpeg_with_exif(), claim().token)
    stored = (media / Image.objects.get(pk=int(response.json()["id"])).file.name).read_bytes()
    assert b"SnoopCam" not in stored
    assert dict(PILImage.open(io.BytesIO(stored)).getexif()) == {}


def test_the_endpoint_needs_no_csrf_token_as_the_wall_token_authenticates(media):
    client = Client(enforce_csrf_checks=True)
    assert upload(client, imagefiles.png(), claim().token).status_code == 201


@pytest.mark.parametrize(
    "token", [None, "", "not-a-token", "x" * 201], ids=["none", "empty", "wrong", "long"]
)
def test_an_upload_without_a_valid_token_is_403(client, media, token):
    claim()
    response = upload(client, imagefiles.png(), token)
    assert response.status_code == 403
    assert response.json()["error"]
    assert Image.objects.count() == 0 and files_under(media) == []


def test_a_banned_participant_cannot_upload(client, media):
    alice = claim()
    Participant.objects.filter(pk=alice.id).update(is_banned=True)
    response = upload(client, imagefiles.png(), alice.token)
    assert response.status_code == 403
    assert "banned" in response.json()["error"]


@pytest.mark.parametrize(
    ("data", "name", "status", "reason"),
    [
        (imagefiles.SVG, "drawing.svg", 400, "SVG images are not accepted"),
        (imagefiles.TEXT, "notes.png", 400, "not a PNG, JPEG, GIF or WebP image"),
        (imagefiles.bomb_png(), "bomb.png", 400, "at most 4096x4096 pixels"),
        (imagefiles.truncated(imagefiles.png(size=(300, 200))), "cut.png", 400, "damaged or truncated"),
        (imagefiles.padded(imagefiles.png(), 6 * 1024 * 1024), "huge.png", 413, "at most 5 MB"),
    ],
    ids=["svg", "text-named-png", "bomb", "truncated", "6-mb"],
)
def test_a_refused_upload_says_why_and_stores_nothing(client, media, data, name, status, reason):
    response = upload(client, data, claim().token, name=name)
    assert response.status_code == status
    assert reason in response.json()["error"]
    assert Image.objects.count() == 0 and files_under(media) == []


def test_an_upload_needs_exactly_one_file_field(client, media):
    alice = claim()
    response = client.post("/api/images/", {"picture": "nope"}, headers={"X-Wall-Token": alice.token})
    assert response.status_code == 400
    assert '"file"' in response.json()["error"]
    two = [SimpleUploadedFile(f"{n}.png", imagefiles.png()) for n in "ab"]
    response = client.post("/api/images/", {"file": two}, headers={"X-Wall-Token": alice.token})
    assert response.status_code == 400


def test_a_declared_body_over_the_limit_is_413_before_it_is_parsed(client, media):
    response = client.generic(
        "POST",
        "/api/images/",
        b"--x--",
        content_type="multipart/form-data; boundary=x",
        headers={"X-Wall-Token": claim().token, "Content-Length": str(7 * 1024 * 1024)},
    )
    assert response.status_code == 413


def test_the_endpoint_only_answers_post(client):
    assert client.get("/api/images/").status_code == 405


def test_too_many_uploads_waiting_to_be_posted_is_429(client, media, settings):
    settings.WALL_IMAGE_PENDING_MAX = 2
    alice = claim()
    assert [upload(client, imagefiles.png(), alice.token).status_code for _ in range(3)] == [201, 201, 429]
    assert "waiting to be posted" in upload(client, imagefiles.png(), alice.token).json()["error"]
    assert len(files_under(media)) == 4  # Two images with their thumbnails; nothing of the refused.
    assert upload(client, imagefiles.png(), claim("Bob").token).status_code == 201


# --- serving -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
def test_an_uploaded_image_and_its_thumbnail_are_served_with_their_type_and_nosniff(
    client, media, settings, debug
):
    settings.DEBUG = debug
    image_id = upload(client, imagefiles.png(), claim().token).json()["id"]
    image = Image.objects.get(pk=int(image_id))
    for field, content_type in ((image.file, "image/png"), (image.thumbnail, "image/webp")):
        response = client.get(field.url)
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        assert body(response) == (media / field.name).read_bytes()


@pytest.mark.parametrize(
    "path",
    ["notes.txt", "images/2026/01/page.html", "images/2026/01/../../notes.txt", "images/2026/01/x.svg"],
)
def test_media_serves_nothing_but_the_re_encoded_images(client, media, path):
    for name in ("notes.txt", "images/2026/01/page.html", "images/2026/01/x.svg"):
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_text("<script>alert(1)</script>")
    assert client.get(f"/media/{path}").status_code == 404


def test_a_missing_image_is_404(client, media):
    assert client.get("/media/images/2026/01/missing.png").status_code == 404


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_shows_the_thumbnail_in_the_post_list_and_on_the_post_page(admin_client, media):
    alice = claim()
    image_id = services.image_upload(uploader_id=alice.id, data=imagefiles.png())["id"]
    post = services.post_create(author_id=alice.id, content="with a picture", image_id=image_id).post
    image = Image.objects.get(pk=int(image_id))
    listing = admin_client.get("/admin/wall/post/").content.decode()
    page = admin_client.get(f"/admin/wall/post/{post['id']}/change/").content.decode()
    for html in (listing, page):
        assert f'src="{image.thumbnail.url}"' in html and f'href="{image.file.url}"' in html


def test_hiding_a_post_takes_its_image_off_the_wall_and_unhiding_brings_it_back(media):
    alice = claim()
    image_id = services.image_upload(uploader_id=alice.id, data=imagefiles.png())["id"]
    post_id = int(services.post_create(author_id=alice.id, content="", image_id=image_id).post["id"])
    moderation.post_hide(post_ids=[post_id])
    from wall.selectors import post_list_recent

    assert post_list_recent().posts == []
    moderation.post_unhide(post_ids=[post_id])
    assert post_list_recent().posts[0]["image"] == Image.objects.get(pk=int(image_id)).file.url
