"""The benchmark's arithmetic that the targets read: interleaved pairs (bench/pairs.py) and the split
of a post's server CPU into a fixed and a per-socket part (bench/figures.cost_split)."""

from __future__ import annotations

import pytest

from bench.figures import cost_split, pair_order, paired_ratios


def test_pairs_alternate_which_server_runs_first():
    assert [pair_order(i) for i in range(4)] == [(0, 1), (1, 0), (0, 1), (1, 0)]


def test_the_paired_ratio_is_the_median_of_each_pairs_ratio_not_the_ratio_of_medians():
    # The machine slowed down between pairs: the ratio of medians would read 40/60, each pair 0.5.
    result = paired_ratios([50.0, 40.0, 30.0], [100.0, 80.0, 60.0])
    assert result == {"ratios": [0.5, 0.5, 0.5], "median": 0.5, "min": 0.5, "max": 0.5}


def test_a_pair_where_either_run_delivered_nothing_is_left_out():
    result = paired_ratios([50.0, None, 30.0], [100.0, 80.0, 0.0])
    assert result["ratios"] == [0.5, None, None]
    assert result["median"] == 0.5


def test_pairs_of_unequal_length_are_refused():
    with pytest.raises(ValueError, match="2 wall runs against 1"):
        paired_ratios([1.0, 2.0], [1.0])


def point(sockets: int, posts: int, server_s: float) -> dict:
    return {
        "sockets": sockets,
        "runs_detail": [{"posts": posts, "refused": 0, "cpu": {"server_s": server_s}}],
    }


def test_a_posts_server_cpu_splits_into_a_fixed_part_and_a_part_per_socket():
    # 5 ms per post plus 10 µs per socket, at 10, 100 and 1000 sockets.
    points = {str(n): point(n, 200, 200 * (5000 + 10 * n) / 1e6) for n in (10, 100, 1000)}
    assert cost_split(points) == {"per_post_us": 5000.0, "per_delivery_us": 10.0, "points": 3}


def test_one_socket_count_cannot_be_split():
    assert cost_split({"1000": point(1000, 200, 3.0)}) is None
