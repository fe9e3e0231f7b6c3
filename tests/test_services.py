"""The writes' rules, called directly as the admin and the consumer call them: who may post, what a
post may hold, resends, repeats, read pointers. Broadcasts are only registered to run on commit."""

from __future__ import annotations

import pytest

from wall import selectors, services
from wall.errors import WallError
from wall.models import Image, Participant, Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> services.Claim:
    return services.participant_claim(username="Alice")


def make_image(uploader: services.Claim, **overrides) -> Image:
    fields = {
        "content_type": "image/png",
        "width": 1,
        "height": 1,
        "thumbnail_width": 1,
        "thumbnail_height": 1,
    }
    return Image.objects.create(uploader_id=uploader.id, **{**fields, **overrides})


def refusal(**post) -> str:
    with pytest.raises(WallError) as refused:
        services.post_create(**post)
    return refused.value.code


def test_a_post_is_saved_and_broadcast_once_its_transaction_commits(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        result = services.post_create(author_id=alice.id, content="  hello  ", client_id="c-1")
    assert result.created and not result.hidden
    assert {key: result.post[key] for key in ("author", "content", "client_id", "image")} == {
        "author": "Alice",
        "content": "hello",
        "client_id": "c-1",
        "image": None,
    }
    assert result.post["id"] == str(Post.objects.get().pk) and len(callbacks) == 1


@pytest.mark.parametrize(
    ("content", "code"), [("", "empty"), (" \u200b\n", "empty"), ("x" * 2001, "too_long")]
)
def test_text_that_shows_nothing_or_runs_too_long_is_refused(alice, content, code):
    assert refusal(author_id=alice.id, content=content) == code
    assert not Post.objects.exists()


def test_a_banned_author_cannot_post(alice):
    Participant.objects.filter(pk=alice.id).update(is_banned=True)
    assert refusal(author_id=alice.id, content="hi") == "banned"
    assert not Post.objects.exists()


def test_an_author_a_moderator_deleted_cannot_post(alice):
    Participant.objects.filter(pk=alice.id).delete()
    assert refusal(author_id=alice.id, content="hi") == "invalid_token"


def test_a_resent_client_id_returns_the_first_post_and_saves_nothing(
    alice, django_capture_on_commit_callbacks
):
    first = services.post_create(author_id=alice.id, content="once", client_id="c-1")
    with django_capture_on_commit_callbacks() as callbacks:
        again = services.post_create(author_id=alice.id, content="other text", client_id="c-1")
    assert again.post == first.post and not again.created and callbacks == []
    assert Post.objects.count() == 1


def test_a_resend_of_a_post_hidden_meanwhile_says_it_is_hidden(alice):
    first = services.post_create(author_id=alice.id, content="once", client_id="c-1")
    Post.objects.update(is_hidden=True)
    again = services.post_create(author_id=alice.id, content="once", client_id="c-1")
    assert again.hidden and not again.created and again.post["id"] == first.post["id"]


def test_the_same_text_past_the_duplicate_rate_is_refused(alice, settings):
    settings.WALL_DUPLICATE_RATE = "2/1m"
    for _ in range(2):
        services.post_create(author_id=alice.id, content="buy now")
    assert refusal(author_id=alice.id, content="buy now") == "duplicate"
    settings.WALL_DUPLICATE_RATE = "off"
    assert services.post_create(author_id=alice.id, content="buy now").created


def test_a_resend_of_the_last_allowed_repeat_is_confirmed_not_refused(alice, settings):
    settings.WALL_DUPLICATE_RATE = "2/1m"
    services.post_create(author_id=alice.id, content="buy now", client_id="c-1")
    second = services.post_create(author_id=alice.id, content="buy now", client_id="c-2")
    again = services.post_create(author_id=alice.id, content="buy now", client_id="c-2")
    assert again.post == second.post and not again.created
    assert refusal(author_id=alice.id, content="buy now", client_id="c-3") == "duplicate"


def test_an_image_of_someone_else_or_already_posted_cannot_be_posted(alice):
    bob = services.participant_claim(username="Bob")
    assert refusal(author_id=alice.id, content="", image_id=str(make_image(bob).pk)) == "invalid_image"
    used = make_image(alice, post=Post.objects.create(author_id=alice.id, content="with it"))
    assert refusal(author_id=alice.id, content="", image_id=str(used.pk)) == "invalid_image"
    assert refusal(author_id=alice.id, content="", image_id="424242") == "invalid_image"


def test_a_read_pointer_moves_forward_only(alice, django_capture_on_commit_callbacks):
    older = services.post_create(author_id=alice.id, content="one").post
    newer = services.post_create(author_id=alice.id, content="two").post
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.read_pointer_advance(
            participant_id=alice.id, username="Alice", message_id=int(newer["id"])
        )
        assert not services.read_pointer_advance(
            participant_id=alice.id, username="Alice", message_id=int(older["id"])
        )
    assert len(callbacks) == 1
    assert Participant.objects.get(pk=alice.id).last_read_id == int(newer["id"])


def test_a_read_pointer_refuses_a_post_that_does_not_exist(alice):
    with pytest.raises(WallError) as refused:
        services.read_pointer_advance(participant_id=alice.id, username="Alice", message_id=424242)
    assert refused.value.code == "bad_request"


def test_a_banned_participant_is_refused_as_an_uploader_before_anything_is_decoded(alice):
    Participant.objects.filter(pk=alice.id).update(is_banned=True)
    with pytest.raises(WallError) as refused:
        services.uploader_by_token(token=alice.token)
    assert refused.value.code == "banned"
    assert (
        services.uploader_by_token(token=services.participant_claim(username="Bob").token).username == "Bob"
    )


@pytest.mark.parametrize(("change", "code"), [("ban", "banned"), ("delete", "invalid_token")])
def test_writing_as_a_participant_locks_it_and_checks_it_still_may(alice, change, code):
    participants = Participant.objects.filter(pk=alice.id)
    participants.update(is_banned=True) if change == "ban" else participants.delete()
    with pytest.raises(WallError) as refused:
        services.participant_lock(participant_id=alice.id)
    assert refused.value.code == code


def test_the_ban_reads_the_same_wherever_it_is_checked(alice):
    Participant.objects.filter(pk=alice.id).update(is_banned=True)
    messages = set()
    for check in (
        lambda: services.participant_lock(participant_id=alice.id),
        lambda: services.participant_by_token(token=alice.token).refuse_if_banned(),
        lambda: services.post_create(author_id=alice.id, content="hi"),
    ):
        with pytest.raises(WallError) as refused:
            check()
        messages.add(refused.value.message)
    assert messages == {"A moderator banned this name from the wall."}


@pytest.mark.parametrize(
    "shape",
    ["text", "reply", "mention", "image", "image only", "reply, mention and image"],
)
def test_a_new_post_is_sent_as_it_reads_back_from_the_database(alice, shape):
    """post_create builds the new post's payload from what it holds (new_post_payload) instead of
    reading it back: it must be exactly what every later read gives (history, resume, edits)."""
    bob = services.participant_claim(username="Bob")
    original = services.post_create(author_id=bob.id, content="first line\nsecond line").post
    post = {"author_id": alice.id, "content": "hello"}
    if "reply" in shape:
        post["reply_to"] = int(original["id"])
    if "mention" in shape:
        post["content"] = "hi @bob and @nobody"
    if "image" in shape:
        post["image_id"] = str(make_image(alice, file="uploads/a.png", thumbnail="thumbnails/a.png").pk)
    if shape == "image only":
        post["content"] = ""
    sent = services.post_create(**post).post
    assert sent == selectors.post_payloads(post_ids=[int(sent["id"])])[0]
    assert bool(sent["reply_to"]) == ("reply" in shape) and bool(sent["image"]) == ("image" in shape)
    assert sent["mentions"] == (["Bob"] if "mention" in shape else [])
