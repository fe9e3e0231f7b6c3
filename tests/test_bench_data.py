"""The benchmark's bulk load (bench/database.py) writes rows the wall reads. It fills the tables in SQL,
outside the ORM, so a new NOT NULL column breaks it: one did (`username_skeleton`, issue 15), and the
benchmark stopped at its history scenario, skipping every scenario after it."""

from __future__ import annotations

import pytest

from bench.database import fill_history
from wall import names, selectors
from wall.models import Participant, Post

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_benchmarks_bulk_history_is_rows_the_wall_reads(test_database_url):
    fill_history(test_database_url, 150)
    assert Post.objects.count() == 150 and Post.objects.filter(is_hidden=True).count() == 1
    page = selectors.post_list_recent(limit=50)
    assert len(page.posts) == 50 and page.has_more
    assert page.posts[-1]["author"] == "bench-history" and page.posts[-1]["reactions"]["rev"] == 0
    assert Participant.objects.get().username_skeleton == names.skeleton("bench-history")
