"""The data migration to confusable skeletons (0004): every existing name gets one, and names that
are one name under the new rules are reported, the earliest keeping it."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("wall", "0003_username_whole_match")
AFTER = ("wall", "0004_username_skeleton")


@pytest.fixture
def old_participants():
    """The Participant model as of 0003, with the database migrated back to it (and forward after)."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    executor.loader.build_graph()
    yield executor.loader.project_state([BEFORE]).apps.get_model("wall", "Participant")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate_forward():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])
    return executor.loader.project_state([AFTER]).apps.get_model("wall", "Participant")


def test_existing_names_get_skeletons_and_collisions_are_reported(old_participants, caplog):
    names = ["Bob1", "Alice", "Bobl", "BraveOtter42", "BobI", "B0b", "Bob"]
    for number, name in enumerate(names):
        old_participants.objects.create(username=name, token_hash=f"{number:064}")
    with caplog.at_level(logging.WARNING, logger="wall.migrations"):
        Participant = migrate_forward()
    skeletons = dict(Participant.objects.values_list("username", "username_skeleton"))
    ids = dict(Participant.objects.values_list("username", "pk"))
    assert skeletons == {
        "Bob1": "bobl",
        "Alice": "allce",
        "Bobl": f"bobl#{ids['Bobl']}",
        "BraveOtter42": "braveotter42",
        "BobI": f"bobl#{ids['BobI']}",
        "B0b": "bob",
        "Bob": f"bob#{ids['Bob']}",
    }
    reports = [record.getMessage() for record in caplog.records]
    assert len(reports) == 2
    assert "Bob1, Bobl, BobI; Bob1 keeps it" in reports[0]
    assert "B0b, Bob; B0b keeps it" in reports[1]


def test_after_the_migration_a_lookalike_of_a_kept_name_is_taken(old_participants):
    from wall import services
    from wall.errors import WallError

    old_participants.objects.create(username="Hana", token_hash="1" * 64)
    migrate_forward()
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    with pytest.raises(WallError) as refused:
        services.participant_claim(username="HANA")
    assert refused.value.code == "username_taken"
