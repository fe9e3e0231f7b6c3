"""Event positions: the reorder buffer's decisions (pure), and positions taken from each store."""

import pytest

from wall.live.positions import Position, ReorderBuffer
from wall.live.store import shared_store

E, F = "epoch-e", "epoch-f"
JOINED_AT = Position(E, 4)


def started(current: Position | None = JOINED_AT, window: float = 1.0) -> ReorderBuffer:
    buffer = ReorderBuffer(window=window)
    buffer.start(current)
    return buffer


def test_events_in_order_are_delivered_at_once():
    buffer = started()
    assert buffer.push(Position(E, 5), "a", now=0).ready == ["a"]
    assert buffer.push(Position(E, 6), "b", now=0).ready == ["b"]


def test_a_jump_is_held_until_the_missing_event_arrives_then_both_go_in_order():
    buffer = started()
    held = buffer.push(Position(E, 6), "second", now=0)
    assert held.ready == [] and not held.lost
    filled = buffer.push(Position(E, 5), "first", now=0.01)
    assert filled.ready == ["first", "second"] and not filled.lost


def test_a_jump_not_filled_within_the_window_is_a_loss_and_what_follows_still_goes_out():
    buffer = started(window=1.0)
    buffer.push(Position(E, 6), "after the gap", now=0)
    assert buffer.expire(now=0.5).ready == []
    expired = buffer.expire(now=1.0)
    assert expired.lost and expired.ready == ["after the gap"]


def test_a_late_event_after_a_declared_loss_is_dropped_quietly():
    buffer = started()
    buffer.push(Position(E, 6), "b", now=0)
    buffer.expire(now=5)
    late = buffer.push(Position(E, 5), "a", now=6)
    assert late.ready == [] and not late.lost


@pytest.mark.parametrize("seq", [1, 4], ids=["long before joining", "the last before joining"])
def test_events_taken_before_the_member_joined_are_in_the_history_and_dropped(seq):
    arrival = started(Position(E, 4)).push(Position(E, seq), "old", now=0)
    assert arrival.ready == [] and not arrival.lost


def test_a_duplicate_is_dropped():
    buffer = started()
    buffer.push(Position(E, 5), "a", now=0)
    assert buffer.push(Position(E, 5), "a again", now=0).ready == []


def test_a_new_epoch_is_a_loss_and_its_events_are_delivered():
    buffer = started()
    arrival = buffer.push(Position(F, 1), "after a Redis restart", now=0)
    assert arrival.lost and arrival.ready == ["after a Redis restart"]
    assert buffer.push(Position(F, 2), "next", now=0).ready == ["next"]


def test_joining_before_any_event_ever_waits_for_the_first_position():
    buffer = started(None)
    held = buffer.push(Position(E, 2), "second", now=0)
    assert held.ready == [] and not held.lost
    assert buffer.push(Position(E, 1), "first", now=0).ready == ["first", "second"]


def test_the_tail_check_finds_events_that_never_arrived_at_its_next_round():
    buffer = started(Position(E, 4))
    assert not buffer.tail(Position(E, 6)).lost  # 5 and 6 may still be on their way
    assert buffer.tail(Position(E, 6)).lost  # still missing one round later
    assert not buffer.tail(Position(E, 6)).lost  # declared once, not again


def test_the_tail_check_passes_when_everything_arrived():
    buffer = started(Position(E, 4))
    buffer.tail(Position(E, 6))
    buffer.push(Position(E, 5), "a", now=0)
    buffer.push(Position(E, 6), "b", now=0)
    assert not buffer.tail(Position(E, 6)).lost


@pytest.mark.parametrize(
    "current", [None, Position(F, 1)], ids=["the store lost its position", "another epoch runs"]
)
def test_the_tail_check_reports_a_restarted_store_as_a_loss(current):
    buffer = started(Position(E, 4))
    assert buffer.tail(current).lost


def test_the_tail_check_is_quiet_while_nothing_was_ever_sent():
    assert not started(None).tail(None).lost


async def test_positions_count_up_within_one_epoch(store):
    first = await shared_store().position_next()
    second = await shared_store().position_next()
    assert second == Position(first.epoch, first.seq + 1)
    assert await shared_store().position_current() == second


async def test_a_lost_position_key_starts_a_new_epoch(store, settings):
    if store != "redis":
        pytest.skip("the in-memory counter lives as long as the process")
    before = await shared_store().position_next()
    await shared_store().client.delete(shared_store().key("position"))
    assert await shared_store().position_current() is None
    after = await shared_store().position_next()
    assert after.epoch != before.epoch and after.seq == 1
