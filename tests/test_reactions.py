"""Reactions over the socket: one per person per emoji, counts for everyone from the database, history
and resumes carry them, bad input refused, throttled like posts, moderation in charge."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from wall import moderation, selectors
from wall.errors import WallError
from wall.models import Participant, Post, Reaction
from wall.services import clean_emoji

pytestmark = pytest.mark.django_db(transaction=True)

post_hide = sync_to_async(moderation.post_hide)
post_unhide = sync_to_async(moderation.post_unhide)
participant_delete = sync_to_async(moderation.participant_delete)
participant_ban = sync_to_async(moderation.participant_ban)
participant_unban = sync_to_async(moderation.participant_unban)


async def joined(sockets, username: str):
    sock = await sockets()
    sock.welcome = await sock.join(username=username)
    return sock


async def react(sock, post_id: str, emoji: str, on: bool = True) -> None:
    await sock.send("react", {"id": post_id, "emoji": emoji, "on": on})


async def test_a_reaction_reaches_everyone_with_its_counts_and_names(sockets):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post = await alice.post("react to me")
    await react(alice, post["id"], "👍")
    event = await reader.receive_next("reactions")
    assert event == {"id": post["id"], "counts": {"👍": 1}, "by": {"👍": ["Alice"]}, "rev": 1}
    assert await alice.receive_next("reactions") == event


async def test_two_people_and_two_tabs_of_one_count_as_two(sockets):
    alice_tab, alice_other_tab = await joined(sockets, "Alice"), await sockets()
    await alice_other_tab.join(token=alice_tab.welcome["token"])
    bob, reader = await joined(sockets, "Bob"), await sockets()
    post = await alice_tab.post("count us")
    await react(alice_tab, post["id"], "🎉")
    assert (await reader.receive_next("reactions"))["counts"] == {"🎉": 1}
    await react(alice_other_tab, post["id"], "🎉")  # the same person again: nothing changes
    await react(bob, post["id"], "🎉")
    event = await reader.receive_next("reactions")
    assert event["counts"] == {"🎉": 2} and event["by"] == {"🎉": ["Alice", "Bob"]}
    assert await reader.nothing_more()
    assert await Reaction.objects.acount() == 2


async def test_taking_a_reaction_back_removes_its_emoji_when_none_is_left(sockets):
    alice, bob, reader = await joined(sockets, "Alice"), await joined(sockets, "Bob"), await sockets()
    post = await alice.post("on and off")
    events = []
    for sock, emoji, on in [(alice, "👍", True), (bob, "❤️", True), (alice, "👍", False)]:
        await react(sock, post["id"], emoji, on)
        events.append(await reader.receive_next("reactions"))
    assert events[-1]["counts"] == {"❤️": 1} and events[-1]["by"] == {"❤️": ["Bob"]}
    assert [event["rev"] for event in events] == [1, 2, 3]


async def test_taking_back_a_reaction_one_never_made_sends_nothing(sockets):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post = await alice.post("nothing to take")
    await reader.receive_next("message")
    await react(alice, post["id"], "👍", on=False)
    assert await reader.nothing_more(0.5)


async def test_an_emoji_is_kept_in_its_fully_qualified_form(sockets):
    alice, bob, reader = await joined(sockets, "Alice"), await joined(sockets, "Bob"), await sockets()
    post = await alice.post("one heart")
    await react(alice, post["id"], "\u2764")  # the heart without its emoji presentation selector
    await reader.receive_next("reactions")
    await react(bob, post["id"], "\u2764\ufe0f")
    assert (await reader.receive_next("reactions"))["counts"] == {"\u2764\ufe0f": 2}


async def test_concurrent_reactions_of_one_person_make_one_row(sockets):
    alice = await joined(sockets, "Alice")
    tabs = [alice]
    for _ in range(3):
        tab = await sockets()
        await tab.join(token=alice.welcome["token"])
        tabs.append(tab)
    post = await alice.post("race")
    await asyncio.gather(*(react(tab, post["id"], "🔥") for tab in tabs for _ in range(2)))
    event = await alice.receive_next("reactions")
    assert event["counts"] == {"🔥": 1}
    assert await alice.nothing_more(0.5)
    assert await Reaction.objects.acount() == 1


def test_the_database_refuses_a_second_row_for_the_same_person_and_emoji():
    author = Participant.objects.create(username="Alice", token_hash="a" * 64)
    post = Post.objects.create(author=author, content="constraint")
    Reaction.objects.create(post=post, participant=author, emoji="👍")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reaction.objects.create(post=post, participant=author, emoji="👍")


@pytest.mark.parametrize(
    "data, code",
    [
        ({"emoji": "👍", "on": True}, "bad_request"),  # no id
        ({"id": "abc", "emoji": "👍", "on": True}, "bad_request"),
        ({"id": "999999", "emoji": "👍", "on": True}, "no_such_post"),
        ({"id": "HIDDEN", "emoji": "👍", "on": True}, "no_such_post"),
        ({"id": "POST", "emoji": "x" * 200, "on": True}, "invalid_emoji"),
        ({"id": "POST", "emoji": "👍" * 200, "on": True}, "invalid_emoji"),
        ({"id": "POST", "emoji": "👍👍", "on": True}, "invalid_emoji"),
        ({"id": "POST", "emoji": "👍 ", "on": True}, "invalid_emoji"),
        ({"id": "POST", "emoji": "like", "on": True}, "invalid_emoji"),
        ({"id": "POST", "emoji": "<img src=x onerror=alert(1)>", "on": True}, "invalid_emoji"),
        ({"id": "POST", "emoji": "", "on": True}, "bad_request"),
        ({"id": "POST", "emoji": 1, "on": True}, "bad_request"),
        ({"id": "POST", "emoji": "👍\x00", "on": True}, "bad_request"),
        ({"id": "POST", "on": True}, "bad_request"),
        ({"id": "POST", "emoji": "👍", "on": "yes"}, "bad_request"),
        ({"id": "POST", "emoji": "👍", "on": 1}, "bad_request"),
        ({"id": "POST", "emoji": "👍", "on": None}, "bad_request"),
        ({"id": "POST", "emoji": "👍"}, "bad_request"),
    ],
)
async def test_bad_reactions_are_refused_and_nothing_is_saved_or_sent(sockets, data, code):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post = await alice.post("target")
    hidden = await alice.post("hidden target")
    await post_hide(post_ids=[int(hidden["id"])])
    await reader.receive_next("message_deleted")
    data = {
        key: {"POST": post["id"], "HIDDEN": hidden["id"]}.get(value, value) for key, value in data.items()
    }
    await alice.send("react", data)
    assert (await alice.receive_next("error"))["code"] == code
    assert await Reaction.objects.acount() == 0
    assert await reader.nothing_more()
    await react(alice, post["id"], "👍")  # the socket is still usable
    assert (await alice.receive_next("reactions"))["counts"] == {"👍": 1}


async def test_a_reader_cannot_react(sockets):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post = await alice.post("readers only read")
    await react(reader, post["id"], "👍")
    assert (await reader.receive_next("error"))["code"] == "not_joined"


async def test_a_post_carries_a_limited_number_of_distinct_emoji(sockets, settings):
    settings.WALL_REACTIONS_PER_POST = 2
    alice = await joined(sockets, "Alice")
    post = await alice.post("few emoji")
    for emoji in ("👍", "❤️"):
        await react(alice, post["id"], emoji)
        await alice.receive_next("reactions")
    await react(alice, post["id"], "🎉")
    assert (await alice.receive_next("error"))["code"] == "too_many_reactions"
    await react(alice, post["id"], "👍", on=False)  # an emoji already there is fine
    assert (await alice.receive_next("reactions"))["counts"] == {"❤️": 1}


async def test_a_hundred_reactions_in_a_second_are_throttled_like_posts(sockets, settings):
    settings.WALL_REACTION_RATE = "20/10s"
    alice = await joined(sockets, "Alice")
    post = await alice.post("spam target")
    for number in range(100):
        await react(alice, post["id"], "👍", on=number % 2 == 0)
    errors = events = 0
    while errors + events < 100:
        frame = await alice.receive()
        if frame["type"] == "error":
            assert frame["data"]["code"] == "rate_limited" and frame["data"]["retry_after"] > 0
            errors += 1
        elif frame["type"] == "reactions":
            events += 1
    assert (events, errors) == (20, 80)
    assert await alice.nothing_more()


async def test_history_carries_each_posts_reactions(sockets):
    alice, bob = await joined(sockets, "Alice"), await joined(sockets, "Bob")
    first, second = await alice.post("first"), await alice.post("second")
    await react(bob, first["id"], "👀")
    await alice.receive_next("reactions")
    await react(alice, first["id"], "👀")
    await alice.receive_next("reactions")
    later = await sockets()
    shown = {post["id"]: post["reactions"] for post in later.history["messages"]}
    assert shown[first["id"]] == {"counts": {"👀": 2}, "by": {"👀": ["Bob", "Alice"]}, "rev": 2}
    assert shown[second["id"]] == {"counts": {}, "by": {}, "rev": 0}


async def test_a_resume_learns_of_reactions_changed_while_it_was_away(sockets):
    alice = await joined(sockets, "Alice")
    older, newest = await alice.post("older"), await alice.post("newest")
    await react(alice, older["id"], "🙏")
    await alice.receive_next("reactions")
    resumed = await sockets(f"/ws/wall/?since={newest['id']}")
    assert resumed.history["reactions"] == [
        {"id": older["id"], "counts": {"🙏": 1}, "by": {"🙏": ["Alice"]}, "rev": 1}
    ]
    quiet = await sockets()
    assert "reactions" not in quiet.history  # a fresh page has them in its posts


async def test_a_hidden_post_takes_its_reactions_with_it(sockets):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post, other = await alice.post("to hide"), await alice.post("stays")
    await react(alice, post["id"], "👍")
    await reader.receive_next("reactions")
    await post_hide(post_ids=[int(post["id"])])
    await reader.receive_next("message_deleted")
    resumed = await sockets(f"/ws/wall/?since={other['id']}")
    assert "reactions" not in resumed.history
    assert all(shown["id"] != post["id"] for shown in resumed.history["messages"])


async def test_a_ban_takes_the_users_reactions_out_of_the_counts_and_unban_puts_them_back(sockets):
    alice, bob, reader = await joined(sockets, "Alice"), await joined(sockets, "Bob"), await sockets()
    post = await alice.post("count fairly")
    await react(alice, post["id"], "👍")
    await reader.receive_next("reactions")
    await react(bob, post["id"], "👍")
    assert (await reader.receive_next("reactions"))["counts"] == {"👍": 2}
    bob_id = int(bob.welcome["id"])
    await participant_ban(participant_ids=[bob_id])
    event = await reader.receive_next("reactions")
    assert event["counts"] == {"👍": 1} and event["by"] == {"👍": ["Alice"]}
    assert (await sockets()).history["messages"][-1]["reactions"]["counts"] == {"👍": 1}
    await participant_unban(participant_ids=[bob_id])
    assert (await reader.receive_next("reactions"))["counts"] == {"👍": 2}


async def test_a_banned_user_cannot_react(sockets):
    alice, bob = await joined(sockets, "Alice"), await joined(sockets, "Bob")
    post = await alice.post("no bans")
    await Participant.objects.filter(username="Bob").aupdate(is_banned=True)
    await react(bob, post["id"], "👍")
    assert (await bob.receive_next("error"))["code"] == "banned"
    assert await Reaction.objects.acount() == 0


def test_a_page_of_history_reads_reactions_in_one_query_whatever_its_size():
    people = [Participant.objects.create(username=f"P{n}", token_hash=f"{n:064d}") for n in range(3)]

    def queries_for(count: int) -> int:
        Post.objects.all().delete()
        for n in range(count):
            post = Post.objects.create(author=people[0], content=f"post {n}", reactions_rev=1)
            for person in people:
                Reaction.objects.create(post=post, participant=person, emoji="👍")
        with CaptureQueriesContext(connection) as queries:
            page = selectors.post_list_recent(limit=50)
        assert all(post["reactions"]["counts"] == {"👍": 3} for post in page.posts)
        return len(queries)

    assert queries_for(3) == queries_for(30) == 2


async def test_deleting_a_participant_takes_their_reactions_out_of_the_counts(sockets):
    alice, bob, reader = await joined(sockets, "Alice"), await joined(sockets, "Bob"), await sockets()
    post = await alice.post("deleted reactor")
    await react(bob, post["id"], "😮")
    await reader.receive_next("reactions")
    await participant_delete(participant_ids=[int(bob.welcome["id"])])
    event = await reader.receive_next("reactions")
    assert event["id"] == post["id"] and event["counts"] == {}
    assert await Reaction.objects.acount() == 0


async def test_an_unhidden_post_comes_back_with_its_reactions(sockets):
    alice, reader = await joined(sockets, "Alice"), await sockets()
    post = await alice.post("back again")
    await react(alice, post["id"], "🙏")
    await reader.receive_next("reactions")
    await post_hide(post_ids=[int(post["id"])])
    await reader.receive_next("message_deleted")
    await post_unhide(post_ids=[int(post["id"])])
    shown = (await reader.receive_next("message"))["message"]
    assert shown["id"] == post["id"] and shown["reactions"]["counts"] == {"🙏": 1}


async def test_a_resume_past_the_limit_of_changed_reactions_starts_over(sockets, settings):
    settings.WALL_RESUME_LIMIT = 1
    alice = await joined(sockets, "Alice")
    first, second = await alice.post("one"), await alice.post("two")
    for post in (first, second):
        await react(alice, post["id"], "👍")
        await alice.receive_next("reactions")
    resumed = await sockets(f"/ws/wall/?since={second['id']}")
    assert resumed.history.get("reset") is True
    assert [post["reactions"]["counts"] for post in resumed.history["messages"]] == [{"👍": 1}, {"👍": 1}]


@pytest.mark.parametrize(
    "text, kept",
    [
        ("👍", "👍"),
        ("👍🏽", "👍🏽"),  # a skin tone is part of the emoji
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # a ZWJ family is one emoji
        ("🇫🇷", "🇫🇷"),  # a flag: two regional indicators
        ("#\ufe0f\u20e3", "#\ufe0f\u20e3"),  # a keycap
        ("\u2764", "\u2764\ufe0f"),  # fully qualified: one heart, one chip
    ],
)
def test_one_emoji_of_any_kind_is_a_reaction(text, kept):
    assert clean_emoji(text) == kept


@pytest.mark.parametrize(
    "text", ["", "a", "ok", ":thumbsup:", "👍👍", " 👍", "👍 ", "🇫", "1", "👍" * 20, "x" * 200, "\u200d"]
)
def test_anything_but_one_emoji_is_refused(text):
    with pytest.raises(WallError) as refused:
        clean_emoji(text)
    assert refused.value.code == "invalid_emoji"


async def test_refused_reactions_do_not_use_up_the_rate(sockets, settings):
    settings.WALL_REACTION_RATE = "3/10s"
    alice = await joined(sockets, "Alice")
    post = await alice.post("only real ones count")
    for _ in range(5):
        await react(alice, post["id"], "not an emoji")
        assert (await alice.receive_next("error"))["code"] == "invalid_emoji"
    for emoji in ("👍", "🎉", "👀"):
        await react(alice, post["id"], emoji)
        assert (await alice.receive_next("reactions"))["counts"][emoji] == 1
    await react(alice, post["id"], "🙏")
    assert (await alice.receive_next("error"))["code"] == "rate_limited"
