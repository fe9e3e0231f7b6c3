"""Names: claimed once, owned by the token's holder; several tabs with one token are one user."""

import pytest

from wall.models import Participant

pytestmark = pytest.mark.django_db(transaction=True)


async def test_join_with_a_free_name_welcomes_with_a_token(sockets):
    sock = await sockets()
    welcome = await sock.join(username="Bob")
    assert welcome["username"] == "Bob" and welcome["id"].isdigit() and len(welcome["token"]) >= 32


async def test_token_is_stored_only_as_a_hash(sockets):
    sock = await sockets()
    welcome = await sock.join(username="Bob")
    participant = await Participant.objects.aget(pk=int(welcome["id"]))
    assert welcome["token"] not in participant.token_hash


async def test_join_with_the_token_reclaims_the_name(sockets):
    first = await sockets()
    welcome = await first.join(username="Bob")
    await first.close()
    second = await sockets()
    assert await second.join(token=welcome["token"]) == welcome


async def test_empty_join_claims_a_random_free_name(sockets):
    sock = await sockets()
    welcome = await sock.join()
    assert 2 <= len(welcome["username"]) <= 32 and welcome["username"].isalnum()


async def test_two_tabs_with_one_token_are_one_user(sockets):
    tab1, tab2 = await sockets(), await sockets()
    welcome = await tab1.join(username="Bob")
    assert await tab2.join(token=welcome["token"]) == welcome
    post = await tab2.post("from tab two")
    assert (await tab1.receive_next("message"))["message"] == post
    assert await Participant.objects.acount() == 1


async def test_rejoin_on_the_same_socket_sends_welcome_again(sockets):
    sock = await sockets()
    welcome = await sock.join(username="Bob")
    assert await sock.join(token=welcome["token"]) == welcome


async def test_joining_as_someone_else_on_a_joined_socket_is_refused(sockets):
    sock = await sockets()
    await sock.join(username="Bob")
    await sock.send("join", {"username": "Mary"})
    assert (await sock.receive_type("error"))["code"] == "bad_request"
    assert (await sock.post("still Bob"))["author"] == "Bob"
    assert not await Participant.objects.filter(username="Mary").aexists(), "the refused name was claimed"


async def test_welcome_goes_only_to_the_joining_socket(sockets):
    sock, other = await sockets(), await sockets()
    await sock.join(username="Bob")
    frame = await other.receive()
    assert frame["type"] == "user_joined"
    assert await other.nothing_more()
