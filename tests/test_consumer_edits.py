"""Edit, delete and reply over the socket (issue 14): saved first, then every wall told; the rules of a
new post hold; a refusal leaves the post as it was, broadcasts nothing and keeps the socket usable."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from wall import moderation, services
from wall.errors import WallError
from wall.models import Post, PostRevision

pytestmark = pytest.mark.django_db(transaction=True)

post_hide = sync_to_async(moderation.post_hide)
post_unhide = sync_to_async(moderation.post_unhide)
post_delete = sync_to_async(moderation.post_delete)
participant_ban = sync_to_async(moderation.participant_ban)
post_edit = sync_to_async(services.post_edit)
post_delete_own = sync_to_async(services.post_delete_own)


async def joined(sockets, username: str):
    sock = await sockets()
    await sock.join(username=username)
    return sock


async def still_usable(sock) -> None:
    await sock.send("ping")
    await sock.receive_next("pong")


async def edit(sock, post_id: str, content: str, client_id: str | None = None) -> dict:
    await sock.send("edit", {"id": post_id, "content": content, "client_id": client_id})
    return (await sock.receive_next("message_edited"))["message"]


async def reply(sock, content: str, reply_to, client_id: str = "c-reply") -> dict:
    await sock.send("message", {"content": content, "client_id": client_id, "reply_to": reply_to})
    while True:
        post = (await sock.receive_next("message"))["message"]
        if post["client_id"] == client_id:
            return post


# --- edit ----------------------------------------------------------------------------------------


async def test_an_edit_reaches_every_socket_as_the_whole_post(sockets):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post = await alice.post("helo wall", client_id="c-1")
    await reader.receive_next("message")
    edited = await edit(alice, post["id"], "hello wall")
    assert (await reader.receive_next("message_edited"))["message"] == edited
    assert edited["id"] == post["id"] and edited["created_at"] == post["created_at"]
    assert edited["content"] == "hello wall" and edited["client_id"] == "c-1"
    assert edited["edited_at"] is not None and edited["edited_at"] > post["created_at"]


async def test_a_new_post_has_no_edit_time_and_no_reply(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("fresh")
    assert post["edited_at"] is None and post["reply_to"] is None


async def test_an_edit_is_saved_and_keeps_the_earlier_text(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("first words")
    await edit(alice, post["id"], "second words")
    await edit(alice, post["id"], "third words")
    saved = await Post.objects.aget(pk=int(post["id"]))
    assert saved.content == "third words" and saved.edited_at is not None
    revisions = [rev async for rev in PostRevision.objects.filter(post=saved).order_by("id")]
    assert [rev.content for rev in revisions] == ["first words", "second words"]
    assert revisions[0].written_at == saved.created_at and revisions[1].written_at < saved.edited_at


async def test_an_edit_is_trimmed_like_a_post(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("before")
    assert (await edit(alice, post["id"], "  after \n"))["content"] == "after"


async def test_an_unchanged_edit_saves_nothing_and_answers_only_the_sender(sockets):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post = await alice.post("as it was")
    await reader.receive_next("message")
    same = await edit(alice, post["id"], "as it was ")
    assert same["edited_at"] is None
    assert await PostRevision.objects.acount() == 0
    assert await reader.nothing_more()


async def test_an_edit_from_another_tab_of_the_author_is_allowed(sockets):
    tab1, tab2 = await sockets(), await sockets()
    welcome = await tab1.join(username="Alice")
    await tab2.join(token=welcome["token"])
    post = await tab1.post("from tab one")
    assert (await edit(tab2, post["id"], "fixed in tab two"))["content"] == "fixed in tab two"


async def test_an_edit_after_the_window_is_too_late(sockets, settings):
    alice = await joined(sockets, "Alice")
    post = await alice.post("old news")
    window = settings.WALL_EDIT_WINDOW
    await Post.objects.filter(pk=int(post["id"])).aupdate(
        created_at=timezone.now() - timedelta(seconds=window + 1)
    )
    await alice.send("edit", {"id": post["id"], "content": "new news", "client_id": "e-1"})
    error = await alice.receive_next("error")
    assert error["code"] == "too_late" and error["client_id"] == "e-1"
    assert (await Post.objects.aget(pk=int(post["id"]))).content == "old news"


async def test_an_edit_just_inside_the_window_is_accepted(sockets, settings):
    alice = await joined(sockets, "Alice")
    post = await alice.post("nearly old")
    await Post.objects.filter(pk=int(post["id"])).aupdate(
        created_at=timezone.now() - timedelta(seconds=settings.WALL_EDIT_WINDOW - 5)
    )
    assert (await edit(alice, post["id"], "still in time"))["content"] == "still in time"


async def test_the_edit_window_is_a_setting(sockets, settings):
    settings.WALL_EDIT_WINDOW = 0
    alice = await joined(sockets, "Alice")
    post = await alice.post("no second thoughts")
    await alice.send("edit", {"id": post["id"], "content": "second thoughts"})
    assert (await alice.receive_next("error"))["code"] == "too_late"


# Each row: what the frame's data is (built from the post's id, another author's post's id and a hidden
# post's id) and the error code. Every refusal: nothing changes, nothing is broadcast, the socket stays.
EDIT_REFUSALS = [
    pytest.param(lambda own, other, hidden: {"content": "x"}, "bad_request", id="missing id"),
    pytest.param(lambda own, other, hidden: {"id": None, "content": "x"}, "bad_request", id="null id"),
    pytest.param(lambda own, other, hidden: {"id": "abc", "content": "x"}, "bad_request", id="letters id"),
    pytest.param(lambda own, other, hidden: {"id": -1, "content": "x"}, "bad_request", id="negative id"),
    pytest.param(lambda own, other, hidden: {"id": True, "content": "x"}, "bad_request", id="boolean id"),
    pytest.param(lambda own, other, hidden: {"id": "9" * 30, "content": "x"}, "bad_request", id="huge id"),
    pytest.param(
        lambda own, other, hidden: {"id": "999999", "content": "x"}, "no_such_post", id="missing post"
    ),
    pytest.param(lambda own, other, hidden: {"id": other, "content": "x"}, "forbidden", id="someone else's"),
    pytest.param(lambda own, other, hidden: {"id": hidden, "content": "x"}, "no_such_post", id="hidden post"),
    pytest.param(lambda own, other, hidden: {"id": own}, "bad_request", id="missing content"),
    pytest.param(lambda own, other, hidden: {"id": own, "content": 5}, "bad_request", id="number content"),
    pytest.param(
        lambda own, other, hidden: {"id": own, "content": "a\x00b"}, "bad_request", id="NUL content"
    ),
    pytest.param(lambda own, other, hidden: {"id": own, "content": "x" * 2001}, "too_long", id="over-long"),
    pytest.param(lambda own, other, hidden: {"id": own, "content": "  "}, "empty", id="blank"),
    pytest.param(lambda own, other, hidden: {"id": own, "content": "\u200b\u2800"}, "empty", id="invisible"),
    pytest.param(
        lambda own, other, hidden: {"id": own, "content": "x", "client_id": ""},
        "bad_request",
        id="empty client_id",
    ),
]


@pytest.mark.parametrize("frame, code", EDIT_REFUSALS)
async def test_a_bad_edit_is_refused_and_changes_nothing(sockets, frame, code):
    alice, bob, reader = await joined(sockets, "Alice"), await joined(sockets, "Bob"), await sockets()
    own = (await alice.post("mine"))["id"]
    other = (await bob.post("bob's"))["id"]
    hidden = (await alice.post("hidden one"))["id"]
    await post_hide(post_ids=[int(hidden)])
    await reader.receive_next("message_deleted")
    await alice.send("edit", {"client_id": "e-bad", **frame(own, other, hidden)})
    error = await alice.receive_next("error")
    assert error["code"] == code
    assert await reader.nothing_more()
    assert {post.content async for post in Post.objects.all()} == {"mine", "bob's", "hidden one"}
    assert await PostRevision.objects.acount() == 0
    await still_usable(alice)


async def test_an_edit_answers_its_client_id_in_errors(sockets):
    alice, bob = await joined(sockets, "Alice"), await joined(sockets, "Bob")
    other = (await bob.post("bob's"))["id"]
    await alice.send("edit", {"id": other, "content": "x", "client_id": "e-7"})
    assert (await alice.receive_next("error"))["client_id"] == "e-7"


async def test_an_edit_before_joining_is_not_joined(sockets):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post = await alice.post("mine")
    await reader.send("edit", {"id": post["id"], "content": "yours"})
    assert (await reader.receive_next("error"))["code"] == "not_joined"


@pytest.mark.parametrize("change", ["edit", "delete"])
async def test_a_banned_author_can_neither_edit_nor_delete(sockets, change):
    """The ban is read under the author's row lock (a socket that missed the ban's close holds too)."""
    alice = await sockets()
    welcome = await alice.join(username="Alice")
    post = await alice.post("before the ban")
    await participant_ban(participant_ids=[int(welcome["id"])])
    author_id, post_id = int(welcome["id"]), int(post["id"])
    with pytest.raises(WallError) as refused:
        if change == "edit":
            await post_edit(author_id=author_id, post_id=post_id, content="after the ban")
        else:
            await post_delete_own(author_id=author_id, post_id=post_id)
    assert refused.value.code == "banned"
    saved = await Post.objects.aget(pk=post_id)
    assert saved.content == "before the ban" and not saved.is_hidden


async def test_an_edit_flood_is_throttled_like_posts(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("v0")  # 1 of 5 in 10 s
    for number in range(1, 5):
        await edit(alice, post["id"], f"v{number}")
    await alice.send("edit", {"id": post["id"], "content": "v5", "client_id": "e-5"})
    error = await alice.receive_next("error")
    assert error["code"] == "rate_limited" and error["client_id"] == "e-5" and error["retry_after"] > 0
    assert (await Post.objects.aget(pk=int(post["id"]))).content == "v4"


async def test_edits_and_posts_share_the_rate(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("p0")
    for number in range(1, 4):
        await alice.post(f"p{number}")
    await edit(alice, post["id"], "p0 again")
    await alice.send("message", {"content": "sixth", "client_id": "c-6"})
    assert (await alice.receive_next("error"))["code"] == "rate_limited"


async def test_an_unchanged_edit_gives_its_place_back(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("same")
    for _ in range(6):
        assert (await edit(alice, post["id"], "same"))["content"] == "same"
    assert (await edit(alice, post["id"], "changed"))["content"] == "changed"


async def test_an_edit_to_a_text_repeated_too_often_is_a_duplicate(sockets):
    alice = await joined(sockets, "Alice")
    for _ in range(3):
        await alice.post("spam")
    post = await alice.post("innocent")
    await alice.send("edit", {"id": post["id"], "content": "spam"})
    assert (await alice.receive_next("error"))["code"] == "duplicate"


async def test_posts_edited_to_a_text_count_toward_the_duplicate_limit(sockets, settings):
    settings.WALL_POST_RATE = "20/10s"  # six writes: the duplicate rule, not the rate, must refuse
    alice = await joined(sockets, "Alice")
    ids = [(await alice.post(f"draft {number}"))["id"] for number in range(3)]
    for post_id in ids:
        await edit(alice, post_id, "spam")
    await alice.send("message", {"content": "spam", "client_id": "c-spam"})
    assert (await alice.receive_next("error"))["code"] == "duplicate"


async def test_history_carries_the_edited_text(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("typo")
    edited = await edit(alice, post["id"], "no typo")
    later = await sockets()
    assert later.history["messages"] == [edited]


async def test_an_edit_of_a_post_in_a_sockets_opening_page_reaches_it(sockets):
    """Unlike a `message`, the first live `message_edited` for a post of the opening page is not a
    repeat of it (wall.live.writer drops only those)."""
    alice = await joined(sockets, "Alice")
    post = await alice.post("one")
    reader = await sockets()
    edited = await edit(alice, post["id"], "two")
    assert (await reader.receive_next("message_edited"))["message"] == edited


# --- delete --------------------------------------------------------------------------------------


async def test_a_delete_removes_the_post_from_every_wall(sockets):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post = await alice.post("take it back")
    await reader.receive_next("message")
    await alice.send("delete", {"id": post["id"]})
    assert await reader.receive_next("message_deleted") == {"id": post["id"]}
    assert await alice.receive_next("message_deleted") == {"id": post["id"]}
    later = await sockets()
    assert later.history["messages"] == []


async def test_a_delete_is_soft_and_marked_as_the_authors(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("kept for moderators")
    await alice.send("delete", {"id": int(post["id"])})
    await alice.receive_next("message_deleted")
    saved = await Post.objects.aget(pk=int(post["id"]))
    assert saved.is_hidden and saved.deleted_by_author and saved.content == "kept for moderators"


async def test_a_moderator_unhide_does_not_bring_back_what_its_author_deleted(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("gone on purpose")
    await alice.send("delete", {"id": post["id"]})
    await alice.receive_next("message_deleted")
    assert await post_unhide(post_ids=[int(post["id"])]) == []
    assert await alice.nothing_more()


async def test_a_moderator_hide_is_not_an_author_delete(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("moderated")
    await post_hide(post_ids=[int(post["id"])])
    saved = await Post.objects.aget(pk=int(post["id"]))
    assert saved.is_hidden and not saved.deleted_by_author


DELETE_REFUSALS = [
    pytest.param(lambda own, other, hidden: {}, "bad_request", id="missing id"),
    pytest.param(lambda own, other, hidden: {"id": ""}, "bad_request", id="empty id"),
    pytest.param(lambda own, other, hidden: {"id": 1.5}, "bad_request", id="float id"),
    pytest.param(lambda own, other, hidden: {"id": [own]}, "bad_request", id="list id"),
    pytest.param(lambda own, other, hidden: {"id": "999999"}, "no_such_post", id="missing post"),
    pytest.param(lambda own, other, hidden: {"id": other}, "forbidden", id="someone else's"),
    pytest.param(lambda own, other, hidden: {"id": hidden}, "no_such_post", id="hidden post"),
]


@pytest.mark.parametrize("frame, code", DELETE_REFUSALS)
async def test_a_bad_delete_is_refused_and_changes_nothing(sockets, frame, code):
    alice, bob, reader = await joined(sockets, "Alice"), await joined(sockets, "Bob"), await sockets()
    own = (await alice.post("mine"))["id"]
    other = (await bob.post("bob's"))["id"]
    hidden = (await alice.post("hidden one"))["id"]
    await post_hide(post_ids=[int(hidden)])
    await reader.receive_next("message_deleted")
    await alice.send("delete", frame(own, other, hidden))
    assert (await alice.receive_next("error"))["code"] == code
    assert await reader.nothing_more()
    assert await Post.objects.filter(is_hidden=True).acount() == 1
    assert not await Post.objects.filter(deleted_by_author=True).aexists()
    await still_usable(alice)


async def test_deleting_twice_is_no_such_post(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("once")
    await alice.send("delete", {"id": post["id"]})
    await alice.receive_next("message_deleted")
    await alice.send("delete", {"id": post["id"]})
    assert (await alice.receive_next("error"))["code"] == "no_such_post"


async def test_a_deleted_post_cannot_be_edited(sockets):
    alice = await joined(sockets, "Alice")
    post = await alice.post("gone")
    await alice.send("delete", {"id": post["id"]})
    await alice.receive_next("message_deleted")
    await alice.send("edit", {"id": post["id"], "content": "back?"})
    assert (await alice.receive_next("error"))["code"] == "no_such_post"


async def test_a_delete_before_joining_is_not_joined(sockets):
    reader = await sockets()
    await reader.send("delete", {"id": "1"})
    assert (await reader.receive_next("error"))["code"] == "not_joined"


# --- reply ---------------------------------------------------------------------------------------


async def test_a_reply_carries_its_originals_author_and_excerpt(sockets):
    alice, bob, reader = await joined(sockets, "Alice"), await joined(sockets, "Bob"), await sockets()
    original = await alice.post("what time is lunch?")
    answer = await reply(bob, "noon", original["id"])
    assert answer["reply_to"] == {"id": original["id"], "author": "Alice", "excerpt": "what time is lunch?"}
    while (message := (await reader.receive_next("message"))["message"])["id"] != answer["id"]:
        pass
    assert message == answer


async def test_a_reply_id_may_be_a_json_integer(sockets):
    alice = await joined(sockets, "Alice")
    original = await alice.post("numbered")
    assert (await reply(alice, "me too", int(original["id"])))["reply_to"]["id"] == original["id"]


async def test_the_excerpt_is_the_first_line_cut_to_its_limit(sockets, settings):
    alice = await joined(sockets, "Alice")
    long_line = await alice.post("word " * 100, client_id="c-long")
    lines = await alice.post("\n\nfirst line\nsecond line", client_id="c-lines")
    cut = (await reply(alice, "re long", long_line["id"], "c-r1"))["reply_to"]["excerpt"]
    assert len(cut) <= settings.WALL_EXCERPT_MAX and cut.endswith("…") and cut.startswith("word word")
    assert (await reply(alice, "re lines", lines["id"], "c-r2"))["reply_to"]["excerpt"] == "first line …"


REPLY_REFUSALS = [
    pytest.param(lambda hidden: "abc", "bad_request", id="letters"),
    pytest.param(lambda hidden: {"id": "1"}, "bad_request", id="object"),
    pytest.param(lambda hidden: "9" * 30, "bad_request", id="huge"),
    pytest.param(lambda hidden: "999999", "no_such_post", id="missing post"),
    pytest.param(lambda hidden: hidden, "no_such_post", id="hidden post"),
]


@pytest.mark.parametrize("reply_to, code", REPLY_REFUSALS)
async def test_a_reply_to_no_visible_post_is_refused_and_not_saved(sockets, reply_to, code):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    hidden = (await alice.post("hidden one"))["id"]
    await post_hide(post_ids=[int(hidden)])
    await reader.receive_next("message_deleted")
    await alice.send("message", {"content": "re", "client_id": "c-re", "reply_to": reply_to(hidden)})
    error = await alice.receive_next("error")
    assert error["code"] == code and error["client_id"] == "c-re"
    assert await reader.nothing_more()
    assert await Post.objects.acount() == 1
    await still_usable(alice)


@pytest.mark.parametrize("remove", ["hide", "author delete", "moderator delete"])
async def test_a_reply_to_a_removed_post_quotes_nothing_of_it(sockets, remove):
    alice, bob = await joined(sockets, "Alice"), await joined(sockets, "Bob")
    original = await alice.post("secret words")
    answer = await reply(bob, "I saw that", original["id"])
    if remove == "hide":
        await post_hide(post_ids=[int(original["id"])])
    elif remove == "author delete":
        await alice.send("delete", {"id": original["id"]})
    else:
        await post_delete(post_ids=[int(original["id"])])
    await bob.receive_next("message_deleted")
    later = await sockets()
    [shown] = later.history["messages"]
    assert shown["id"] == answer["id"]
    assert shown["reply_to"] == {"id": original["id"], "author": None, "excerpt": None}
    await later.send("history", {"before": str(int(answer["id"]) + 1)})
    page = await later.receive_next("messages")
    assert "secret" not in str(page) and "secret" not in str(later.history)


async def test_a_reply_quotes_its_originals_edited_text(sockets):
    alice = await joined(sockets, "Alice")
    original = await alice.post("lunch at 11")
    answer = await reply(alice, "see above", original["id"])
    await edit(alice, original["id"], "lunch at 12")
    later = await sockets()
    [_, shown] = later.history["messages"]
    assert shown["id"] == answer["id"] and shown["reply_to"]["excerpt"] == "lunch at 12"


async def test_a_reply_can_be_edited_and_keeps_its_quote(sockets):
    alice = await joined(sockets, "Alice")
    original = await alice.post("question")
    answer = await reply(alice, "anser", original["id"])
    assert (await edit(alice, answer["id"], "answer"))["reply_to"] == answer["reply_to"]


# --- resume: ?since= carries edits --------------------------------------------------------------


async def test_a_resuming_socket_learns_of_edits_to_posts_it_shows(sockets, settings):
    alice = await joined(sockets, "Alice")
    older = await alice.post("older")
    # Saved well before the newest post: outside the resume's overlap, so only `edited` carries it.
    before = timezone.now() - timedelta(seconds=settings.WALL_RESUME_OVERLAP + 60)
    await Post.objects.filter(pk=int(older["id"])).aupdate(created_at=before)
    newest = await alice.post("newest")
    edited = await edit(alice, older["id"], "older, edited while you were away")
    resumed = await sockets(f"/ws/wall/?since={newest['id']}")
    assert resumed.history["edited"] == [edited]
    assert resumed.history["messages"] == []  # nothing newer than `since`, and `older` is long before it


async def test_a_resume_sends_an_edit_once(sockets):
    """A post the overlap resends already carries its edit: it is not in `edited` too."""
    alice = await joined(sockets, "Alice")
    older = await alice.post("older")
    newest = await alice.post("newest")
    edited = await edit(alice, older["id"], "older, edited")
    resumed = await sockets(f"/ws/wall/?since={newest['id']}")
    assert "edited" not in resumed.history
    assert edited in resumed.history["messages"]


async def test_a_resume_without_edits_has_no_edited_list(sockets):
    alice = await joined(sockets, "Alice")
    newest = await alice.post("untouched")
    resumed = await sockets(f"/ws/wall/?since={newest['id']}")
    assert "edited" not in resumed.history


async def test_a_resume_skips_edits_made_long_before_the_post_it_shows(sockets, settings):
    alice = await joined(sockets, "Alice")
    older = await alice.post("old edit")
    await edit(alice, older["id"], "edited long ago")
    newest = await alice.post("newest")
    later = timezone.now() + timedelta(seconds=settings.WALL_RESUME_OVERLAP + 60)
    await Post.objects.filter(pk=int(newest["id"])).aupdate(created_at=later)
    resumed = await sockets(f"/ws/wall/?since={newest['id']}")
    assert "edited" not in resumed.history


async def test_a_resume_does_not_send_edits_of_hidden_posts(sockets):
    alice = await joined(sockets, "Alice")
    older = await alice.post("older")
    newest = await alice.post("newest")
    await edit(alice, older["id"], "edited then hidden")
    await post_hide(post_ids=[int(older["id"])])
    resumed = await sockets(f"/ws/wall/?since={newest['id']}")
    assert "edited" not in resumed.history and "hidden" not in str(resumed.history)
