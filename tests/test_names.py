"""Names, tokens and paths match whole: a trailing newline, a space or a case variant passes for no other."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from wall import services
from wall.errors import WallError
from wall.models import Participant
from wall.rates import parse_rate

pytestmark = pytest.mark.django_db(transaction=True)

EXISTING = "Alicehunt"

# Each is EXISTING with something that a `^...$` match (or a lax comparison) would let through.
LOOKALIKES = [
    ("Alicehunt\n", "invalid_username"),
    ("Alicehunt\r\n", "invalid_username"),
    ("Alicehunt\r", "invalid_username"),
    ("\nAlicehunt", "invalid_username"),
    (" Alicehunt", "invalid_username"),
    ("Alicehunt ", "invalid_username"),
    ("Alicehunt\t", "invalid_username"),
    ("Alicehunt\u2028", "invalid_username"),
    ("Alicehunt\u200b", "invalid_username"),
    ("Alicehunt\u00a0", "invalid_username"),
    ("\u0410licehunt", "invalid_username"),  # Cyrillic A
    ("\uff21licehunt", "invalid_username"),  # fullwidth A
    ("ALICEHUNT", "username_taken"),
    ("alicehunt", "username_taken"),
    ("aLiCeHuNt", "username_taken"),
]
LOOKALIKE_IDS = [repr(name) for name, _ in LOOKALIKES]


@pytest.mark.parametrize(("name", "code"), LOOKALIKES, ids=LOOKALIKE_IDS)
async def test_a_lookalike_of_an_existing_name_is_refused_on_the_socket(sockets, name, code):
    alice, other = await sockets(), await sockets()
    await alice.join(username=EXISTING)
    await other.send("join", {"username": name})
    assert (await other.receive_next("error"))["code"] == code
    assert [p.username async for p in Participant.objects.all()] == [EXISTING]


@pytest.mark.parametrize(("name", "code"), LOOKALIKES, ids=LOOKALIKE_IDS)
def test_a_lookalike_of_an_existing_name_is_not_available_over_http(client, name, code):
    services.participant_claim(username=EXISTING)
    body = client.get(f"/api/usernames/{quote(name, safe='')}").json()
    reason = "invalid" if code == "invalid_username" else "taken"
    suggestion = body.pop("suggestion", None)  # a free variant, offered for a taken name only
    assert body == {"username": name, "available": False, "reason": reason}
    assert (suggestion is not None) == (reason == "taken")


@pytest.mark.parametrize("name", [name for name, code in LOOKALIKES if code == "invalid_username"])
def test_the_model_refuses_what_the_service_refuses(name):
    assert services.username_problem(name)
    with pytest.raises(ValidationError):
        Participant(username=name, token_hash="x").full_clean(exclude=["token_hash"])


@pytest.mark.parametrize("edit", ["{}\n", "{}\r\n", " {}", "{} ", "{}\x0b"])
def test_a_token_matches_only_exactly(edit):
    claim = services.participant_claim(username=EXISTING)
    assert services.participant_by_token(token=claim.token).id == claim.id
    with pytest.raises(WallError) as refused:
        services.participant_by_token(token=edit.format(claim.token))
    assert refused.value.code == "invalid_token"


async def test_a_token_with_a_trailing_newline_does_not_join(sockets):
    sock = await sockets()
    welcome = await sock.join(username=EXISTING)
    other = await sockets()
    await other.send("join", {"token": welcome["token"] + "\n"})
    assert (await other.receive_next("error"))["code"] == "invalid_token"


@pytest.mark.parametrize(
    "path",
    ["images/2026/01/abc.png\n", "images/2026/01/abc.png%0A", "images/\uff12026/01/abc.png"],
    ids=["newline", "encoded-newline", "fullwidth-digit"],
)
def test_a_media_path_matches_only_whole(client, settings, tmp_path, path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "images/2026/01").mkdir(parents=True)
    (tmp_path / "images/2026/01/abc.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert client.get("/media/images/2026/01/abc.png").status_code == 200
    assert client.get(f"/media/{quote(path, safe='/%')}").status_code == 404


@pytest.mark.parametrize("text", ["\u0665/10s", "5/\u0661s", "5/10s x"])
def test_a_rate_setting_matches_only_whole(text):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)
