"""GET /api/usernames/<name> (issue 15, 4): the rules and the order of `join`, with reasons a page
can show: taken (and a free variant), invalid (and the character), reserved."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from wall import names, services
from wall.models import NameReservation

pytestmark = pytest.mark.django_db(transaction=True)


def answer(client, name: str) -> dict:
    response = client.get(f"/api/usernames/{quote(name, safe='')}")
    assert response.status_code == 200
    return response.json()


def keep(name: str, holder: str) -> None:
    """`name` given up by `holder` lately (as a rename leaves it)."""
    claim = services.participant_claim(username=holder)
    NameReservation.objects.create(
        participant_id=claim.id,
        username=name,
        username_skeleton=names.skeleton(name),
        until=timezone.now() + timedelta(days=7),
    )


# (what the wall holds, the name asked for, the reason, the character or the suggestion)
CASES = [
    ([], "Zoë", None, None),
    (["Bob"], "BOB", "taken", "BOB2"),
    (["Bob"], "\u0412\u043eb", "taken", "Bob2"),  # a look-alike: the holder's name made free
    (["Bob", "Bob2", "Bob3"], "bob", "taken", "bob4"),
    ([], "Bo\u200bb", "invalid", "\u200b"),
    ([], "Bob\u202e", "invalid", "\u202e"),
    ([], "Bob\n", "invalid", "\n"),
    ([], "P\u0430ypal", "invalid", "\u0430"),
    ([], "\uff22ob", "invalid", "\uff22"),
    ([], "b", "invalid", None),
]


@pytest.mark.parametrize(("held", "name", "reason", "detail"), CASES, ids=[repr(case[1]) for case in CASES])
def test_the_availability_check_gives_the_reason_of_join(client, held, name, reason, detail):
    for holder in held:
        services.participant_claim(username=holder)
    body = answer(client, name)
    assert (body["username"], body["available"], body["reason"]) == (name, reason is None, reason)
    if reason == "invalid":
        assert body["character"] == detail and body["message"]
    if reason == "taken":
        assert body["suggestion"] == detail


def test_a_kept_name_is_reserved_and_no_variant_is_offered_for_it(client):
    keep("Bob", holder="Robert")
    body = answer(client, "bob")
    assert (body["available"], body["reason"]) == (False, "reserved")
    assert "suggestion" not in body and "kept" in body["message"]


def test_a_suggestion_skips_kept_names(client):
    services.participant_claim(username="Ann")
    keep("Ann2", holder="Annette")
    assert answer(client, "Ann")["suggestion"] == "Ann3"


def test_a_kept_name_is_available_again_once_its_time_is_over(client):
    keep("Bob", holder="Robert")
    NameReservation.objects.update(until=timezone.now())
    assert answer(client, "Bob")["available"] is True
