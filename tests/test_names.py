"""Names in any script, one per confusable skeleton; names, tokens and paths match whole: a trailing
newline, a look-alike letter or a case variant passes for no other."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError

from wall import names, services
from wall.errors import WallError
from wall.models import Participant
from wall.rates import parse_rate

pytestmark = pytest.mark.django_db(transaction=True)

EXISTING = "Alicehunt"
HELD = "Bob"

# Names a new user may claim on an empty wall, and the form they are stored in (NFC, trimmed).
VALID = [
    ("Zoë", "Zoë"),
    ("Zoe\u0308", "Zoë"),  # typed with a combining diaeresis: stored composed
    ("Łukasz", "Łukasz"),
    ("Дмитрий", "Дмитрий"),
    ("王芳", "王芳"),
    ("Ανδρέας", "Ανδρέας"),
    ("مریم", "مریم"),
    ("תמר", "תמר"),
    ("हिन्दी", "हिन्दी"),
    ("ชัยวัฒน์", "ชัยวัฒน์"),
    ("山田たろう", "山田たろう"),
    ("Kim 민수", "Kim 민수"),  # Latin with Hangul: allowed at "highly restrictive"
    ("Nguyễn Văn An", "Nguyễn Văn An"),
    ("jean-luc_2", "jean-luc_2"),
    ("  Ola  ", "Ola"),  # plain spaces around are trimmed
    ("Ο Νίκος", "Ο Νίκος"),
]

# Names no one may claim, whatever the wall holds: (name, the character at fault or None).
INVALID = [
    ("Jo\u200bhn", "\u200b"),  # zero-width space
    ("Jo\u200dhn", "\u200d"),  # zero-width joiner
    ("Jo\u2060hn", "\u2060"),  # word joiner
    ("Jo\ufeffhn", "\ufeff"),  # byte order mark
    ("Jo\u00adhn", "\u00ad"),  # soft hyphen
    ("Bob\u202e", "\u202e"),  # right-to-left override
    ("\u202dBob", "\u202d"),  # left-to-right override
    ("Al\u2066ice", "\u2066"),  # left-to-right isolate
    ("Alice\u200f", "\u200f"),  # right-to-left mark
    ("Alice\n", "\n"),
    ("Alice\r\n", "\r"),
    ("\nAlice", "\n"),
    ("Alice\t", "\t"),
    ("Alice\u2028", "\u2028"),
    ("Alice\u00a0", "\u00a0"),
    ("Mary  Ann", " "),
    ("semi;colon", ";"),
    ("<b>", "<"),
    ("ｗａｌｌ", "ｗ"),  # full-width letters are look-alikes of ASCII ones
    ("𝐰𝐚𝐥𝐥", "𝐰"),  # and so are mathematical ones
    ("Pаypal", "а"),  # Latin with a Cyrillic а
    ("Alloτ", "τ"),  # Latin with Greek
    ("Ꭺpple", "p"),  # Cherokee with Latin
    ("Иван1Ivan", "I"),  # Cyrillic with Latin
    ("12\u0663", None),  # digits from two numbering systems
    ("\u0301ab", "\u0301"),  # a mark on nothing
    ("a" + "\u0301" * 5, "\u0301"),  # a pile of marks
    ("x", None),
    ("a" * 33, None),
    ("  ", None),
]

# Spellings of HELD that are the same name (one confusable skeleton): taken, never claimed.
CONFUSABLE = [
    "Bob",
    "BOB",
    "bob",
    "bOb",
    "\u0412\u043eb",  # Воb: Cyrillic В and о
    "B\u043eb",  # Cyrillic о only
    "\u13f4ob",  # Ᏼob: Cherokee Ᏼ
    "\uff22\uff4f\uff42",  # Ｂｏｂ: full-width
    "\U0001d401\U0001d428\U0001d41b",  # 𝐁𝐨𝐛: mathematical bold
    "B0b",  # digit zero
    " Bob ",
    "\u0392ob",  # Greek capital beta
]


def _ids(rows):
    return [repr(row[0] if isinstance(row, tuple) else row) for row in rows]


@pytest.mark.parametrize(("name", "stored"), VALID, ids=_ids(VALID))
async def test_a_name_in_any_script_is_claimed_on_the_socket(sockets, name, stored):
    welcome = await (await sockets()).join(username=name)
    assert welcome["username"] == stored
    assert [p.username async for p in Participant.objects.all()] == [stored]


@pytest.mark.parametrize(("name", "stored"), VALID, ids=_ids(VALID))
def test_a_name_in_any_script_is_available_over_http(client, name, stored):
    body = client.get(f"/api/usernames/{quote(name, safe='')}").json()
    assert body == {"username": name, "available": True, "reason": None}


@pytest.mark.parametrize(("name", "character"), INVALID, ids=_ids(INVALID))
async def test_an_invalid_name_is_refused_on_the_socket_naming_the_character(sockets, name, character):
    sock = await sockets()
    await sock.send("join", {"username": name})
    error = await sock.receive_type("error")
    assert (error["code"], error["character"]) == ("invalid_username", character)
    assert error["message"]
    await sock.send("message", {"content": "hi"})
    assert (await sock.receive_type("error"))["code"] == "not_joined"
    assert await Participant.objects.acount() == 0


@pytest.mark.parametrize(("name", "character"), INVALID, ids=_ids(INVALID))
def test_an_invalid_name_is_not_available_over_http_naming_the_character(client, name, character):
    body = client.get(f"/api/usernames/{quote(name, safe='')}").json()
    message = body.pop("message")
    assert body == {"username": name, "available": False, "reason": "invalid", "character": character}
    assert message


@pytest.mark.parametrize("name", CONFUSABLE, ids=_ids(CONFUSABLE))
async def test_a_confusable_spelling_of_a_held_name_is_taken_on_the_socket(sockets, name):
    await (await sockets()).join(username=HELD)
    other = await sockets()
    await other.send("join", {"username": name})
    assert (await other.receive_next("error"))["code"] == "username_taken"
    assert [p.username async for p in Participant.objects.all()] == [HELD]


@pytest.mark.parametrize("name", CONFUSABLE, ids=_ids(CONFUSABLE))
def test_a_confusable_spelling_of_a_held_name_is_taken_over_http(client, name):
    services.participant_claim(username=HELD)
    body = client.get(f"/api/usernames/{quote(name, safe='')}").json()
    assert (body["available"], body["reason"]) == (False, "taken")
    suggestion = body["suggestion"]
    assert suggestion and client.get(f"/api/usernames/{quote(suggestion, safe='')}").json()["available"]


@pytest.mark.parametrize("name", CONFUSABLE[1:], ids=_ids(CONFUSABLE[1:]))
def test_two_confusable_spellings_never_both_hold_a_skeleton_in_the_database(name):
    """The unique column holds even past the service: a direct save of a look-alike fails."""
    services.participant_claim(username=HELD)
    with pytest.raises(IntegrityError):
        Participant.objects.create(username=name, token_hash="x" * 64)


def test_names_are_compared_by_their_skeleton():
    assert len({names.skeleton(name) for name in CONFUSABLE}) == 1
    assert names.skeleton("Bob1") == names.skeleton("Bobl") == names.skeleton("BobI")
    assert names.skeleton("rn") == names.skeleton("m")
    assert names.skeleton("Zoë") != names.skeleton("Zoe")


# Each is EXISTING with something that a `^...$` match (or a lax comparison) would let through.
LOOKALIKES = [
    ("Alicehunt\n", "invalid_username"),
    ("Alicehunt\r\n", "invalid_username"),
    ("Alicehunt\r", "invalid_username"),
    ("\nAlicehunt", "invalid_username"),
    (" Alicehunt", "username_taken"),  # trimmed: the same name
    ("Alicehunt ", "username_taken"),
    ("Alicehunt\t", "invalid_username"),
    ("Alicehunt\u2028", "invalid_username"),
    ("Alicehunt\u200b", "invalid_username"),
    ("Alicehunt\u00a0", "invalid_username"),
    ("\u0410licehunt", "username_taken"),  # Cyrillic A: a look-alike of a held name
    ("\uff21licehunt", "username_taken"),  # fullwidth A
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
    assert (body["available"], body["reason"]) == (False, reason)
    assert ("suggestion" in body) == (reason == "taken")


@pytest.mark.parametrize("name", [name for name, _ in INVALID])
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
