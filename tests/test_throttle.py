"""Rate limits: posts per user (only saved ones count), same text, joins per socket, names per address."""

import pytest

from wall.errors import WallError
from wall.live import throttle
from wall.models import Participant, Post
from wall.rates import Rate, parse_rate

pytestmark = pytest.mark.django_db(transaction=True)


async def post_error(sock, content: str, client_id: str | None = None) -> dict:
    await sock.send("message", {"content": content, "client_id": client_id})
    return await sock.receive_next("error")


async def test_the_sixth_post_within_ten_seconds_is_rate_limited_and_not_saved(sockets):
    alice = await sockets()
    await alice.join(username="Alice")
    for number in range(5):
        await alice.post(f"post {number}")
    error = await post_error(alice, "one too many", "c-6")
    assert error["code"] == "rate_limited" and error["client_id"] == "c-6"
    assert isinstance(error["retry_after"], (int, float)) and 0 < error["retry_after"] <= 10
    assert await Post.objects.acount() == 5


async def test_the_rate_is_per_user_across_tabs(sockets):
    tab1, tab2 = await sockets(), await sockets()
    welcome = await tab1.join(username="Alice")
    await tab2.join(token=welcome["token"])
    for number in range(5):
        await (tab1 if number % 2 else tab2).post(f"post {number}")
    assert (await post_error(tab1, "sixth"))["code"] == "rate_limited"


async def test_another_user_is_not_slowed_by_alice(sockets):
    alice, bob = await sockets(), await sockets()
    await alice.join(username="Alice")
    await bob.join(username="Bob")
    for number in range(5):
        await alice.post(f"post {number}")
    assert (await bob.post("my own rate"))["author"] == "Bob"


@pytest.mark.parametrize(
    ("content", "client_id", "code"),
    [("", "c-e", "empty"), ("x" * 2001, "c-l", "too_long"), ("resent", "c-first", None)],
)
async def test_a_post_that_is_not_saved_does_not_use_up_the_rate(sockets, settings, content, client_id, code):
    settings.WALL_POST_RATE = "2/10s"
    alice = await sockets()
    await alice.join(username="Alice")
    await alice.post("resent", client_id="c-first")
    for _ in range(3):
        if code is None:
            assert (await alice.post(content, client_id))["client_id"] == client_id  # the resend's echo
        else:
            assert (await post_error(alice, content, client_id))["code"] == code
    await alice.post("second saved post")
    assert (await post_error(alice, "third"))["code"] == "rate_limited"


async def test_a_refused_duplicate_does_not_use_up_the_rate(sockets, settings):
    settings.WALL_POST_RATE = "4/10s"
    alice = await sockets()
    await alice.join(username="Alice")
    for _ in range(3):
        await alice.post("same")
    assert (await post_error(alice, "same"))["code"] == "duplicate"
    await alice.post("different")
    assert (await post_error(alice, "again different"))["code"] == "rate_limited"


async def test_the_same_text_a_fourth_time_in_a_minute_is_refused_as_duplicate(sockets, settings):
    settings.WALL_POST_RATE = "off"
    alice = await sockets()
    await alice.join(username="Alice")
    for _ in range(3):
        await alice.post("buy now")
    error = await post_error(alice, "  buy now ", "c-4")
    assert error["code"] == "duplicate" and error["client_id"] == "c-4" and error["message"]
    assert await Post.objects.filter(content="buy now").acount() == 3
    assert (await alice.post("buy later"))["content"] == "buy later"


async def test_the_same_text_from_another_user_is_not_a_duplicate(sockets):
    alice, bob = await sockets(), await sockets()
    await alice.join(username="Alice")
    await bob.join(username="Bob")
    for _ in range(3):
        await alice.post("hello")
    assert (await bob.post("hello"))["author"] == "Bob"


async def test_the_same_text_is_allowed_again_once_the_minute_has_passed(sockets):
    alice = await sockets()
    await alice.join(username="Alice")
    for _ in range(3):
        await alice.post("again")
    assert (await post_error(alice, "again"))["code"] == "duplicate"
    await Post.objects.aupdate(created_at="2000-01-01T00:00:00Z")
    assert (await alice.post("again"))["content"] == "again"


async def test_more_than_ten_joins_on_one_socket_are_rate_limited(sockets):
    sock = await sockets()
    for number in range(10):
        await sock.send("join", {"username": "x"})  # invalid names count as attempts too
        assert (await sock.receive_type("error"))["code"] == "invalid_username", number
    await sock.send("join", {"username": "Alice"})
    error = await sock.receive_type("error")
    assert error["code"] == "rate_limited" and error["retry_after"] > 0
    assert await Participant.objects.acount() == 0


async def test_a_new_socket_may_join_after_the_cap_of_another(sockets):
    sock = await sockets()
    for _ in range(11):
        await sock.send("join", {"username": "x"})
        await sock.receive_type("error")
    assert (await (await sockets()).join(username="Alice"))["username"] == "Alice"


async def test_new_names_per_address_are_capped_and_only_claimed_ones_count(sockets, settings):
    settings.WALL_NAME_RATE = "2/1h"
    first = await sockets(client="203.0.113.7")
    await first.send("join", {"username": "a!"})  # refused: does not count
    assert (await first.receive_type("error"))["code"] == "invalid_username"
    await first.join(username="Alice")
    await (await sockets(client="203.0.113.7")).join()
    third = await sockets(client="203.0.113.7")
    await third.send("join", {"username": "Carol"})
    assert (await third.receive_next("error"))["code"] == "rate_limited"
    assert await Participant.objects.acount() == 2
    assert (await (await sockets(client="198.51.100.1")).join(username="Dave"))["username"] == "Dave"


async def test_a_token_join_is_not_a_new_name(sockets, settings):
    settings.WALL_NAME_RATE = "1/1h"
    first = await sockets(client="203.0.113.7")
    welcome = await first.join(username="Alice")
    again = await sockets(client="203.0.113.7")
    assert await again.join(token=welcome["token"]) == welcome


async def test_throttled_gives_the_hit_back_when_the_block_raises(store):
    rate = Rate(1, 10)
    with pytest.raises(WallError):
        async with throttle.throttled(scope="t", subject="s", rate=rate):
            raise WallError("empty", "nothing to save")
    async with throttle.throttled(scope="t", subject="s", rate=rate):
        pass
    with pytest.raises(WallError) as refused:
        async with throttle.throttled(scope="t", subject="s", rate=rate):
            pass
    assert refused.value.code == "rate_limited" and refused.value.extra["retry_after"] > 0


async def test_throttled_gives_the_hit_back_when_it_does_not_count(store):
    rate = Rate(1, 10)
    async with throttle.throttled(scope="t", subject="s", rate=rate) as attempt:
        attempt.counts = False
    async with throttle.throttled(scope="t", subject="s", rate=rate):
        pass
    assert await throttle.throttle_hit(scope="t", subject="s", rate=rate) is not None


@pytest.mark.parametrize(
    ("text", "rate"),
    [("5/10s", Rate(5, 10)), ("3/1m", Rate(3, 60)), ("30/h", Rate(30, 3600))],
)
def test_rates_are_written_count_per_time(text, rate):
    assert parse_rate(text) == rate


def test_off_means_no_limit():
    assert parse_rate("off") is None


@pytest.fixture
def redis_down(settings) -> None:
    """A REDIS_URL where nothing listens."""
    from .servers import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"


async def test_while_redis_is_unreachable_each_process_still_counts(redis_down):
    rate = Rate(1, 10)
    await throttle.throttle_take(scope="t", subject="down", rate=rate)
    with pytest.raises(WallError):
        await throttle.throttle_take(scope="t", subject="down", rate=rate)
