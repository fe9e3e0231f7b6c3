"""Mentions: a post carries the existing participants it names as `@name`, read in one query per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wall import selectors
from wall.models import Participant, Post

pytestmark = pytest.mark.django_db(transaction=True)


def make_participant(username: str) -> Participant:
    return Participant.objects.create(username=username, token_hash=username.ljust(64, "0"))


@pytest.mark.parametrize(
    "content, mentions",
    [
        ("hi @Bob", ["Bob"]),
        ("hi @bob and @BOB again", ["Bob"]),  # any case, once, as the participant spells it
        ("@Carol-2, @Bob: lunch?", ["Carol-2", "Bob"]),  # in the order first mentioned
        ("@nobody is here", []),  # not a participant
        ("mail bob@Bob.example", []),  # inside an address
        ("@Bobby", []),  # a longer name is another name
        ("Bob without the at sign", []),
        ("@@Bob", []),
        ("https://example.com/@Bob", ["Bob"]),
        ("@" + "B" * 40, []),  # longer than any name
    ],
)
def test_a_post_mentions_the_existing_participants_it_names_with_an_at_sign(content, mentions):
    for name in ("Bob", "Carol-2", "Alice"):
        make_participant(name)
    author = Participant.objects.get(username="Alice")
    post = Post.objects.create(author=author, content=content)
    [payload] = selectors.post_payloads(post_ids=[post.pk])
    assert payload["mentions"] == mentions


def test_a_page_reads_the_names_it_mentions_in_one_query_whatever_its_size():
    people = [make_participant(f"P{n}") for n in range(5)]

    def queries_for(count: int) -> int:
        Post.objects.all().delete()
        for n in range(count):
            Post.objects.create(author=people[0], content=f"@P{n % 5} and @P{(n + 1) % 5}, @ghost{n}")
        with CaptureQueriesContext(connection) as queries:
            page = selectors.post_list_recent(limit=50)
        assert all(len(post["mentions"]) == 2 for post in page.posts)
        return len(queries)

    assert queries_for(2) == queries_for(40) == 2


async def test_a_live_post_carries_its_mentions(sockets):
    bob, alice = await sockets(), await sockets()
    await bob.join(username="Bob")
    await alice.join(username="Alice")
    post = await alice.post("thanks @bob, and @nobody")
    assert post["mentions"] == ["Bob"]
    assert (await bob.receive_next("message"))["message"]["mentions"] == ["Bob"]
