"""The word filter: blocked words and patterns refuse, hold or mask a post, matched without case and
through look-alike letters; patterns that backtrack catastrophically are refused when saved."""

from __future__ import annotations

import contextlib

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError

from wall import wordfilter
from wall.errors import WallError
from wall.models import Post, WordRule

from .moderators import frames_within, moderator_user, open_with_cookie, session_cookie_of

pytestmark = pytest.mark.django_db(transaction=True)

SPAM_SPELLINGS = [
    "spam",
    "SPAM",
    "Sp\u00e1m",  # an accent
    "\uff33\uff30\uff21\uff2d",  # fullwidth letters
    "\u0455\u0440\u0430\u043c",  # Cyrillic dze, er, a, em: looks like "spam"
    "s\u200bpam",  # a zero-width space inside
    "buy SPAM now",
]


@pytest.mark.parametrize("text", SPAM_SPELLINGS)
def test_every_spelling_of_a_blocked_word_is_refused(text):
    WordRule.objects.create(pattern="spam", action=WordRule.REFUSE, reason="no advertising")
    with pytest.raises(WallError) as refused:
        wordfilter.screen(text)
    assert refused.value.code == "blocked" and refused.value.extra["reason"] == "no advertising"


@pytest.mark.parametrize("text", ["spa m", "spasm", "Spain", "sp"])
def test_other_words_pass(text):
    WordRule.objects.create(pattern="spam", action=WordRule.REFUSE)
    assert wordfilter.screen(text).content == text


@pytest.mark.parametrize(
    "text, masked",
    [
        ("you idiot", "you *****"),
        ("you IDIOT!", "you *****!"),
        ("you \u0456d\u0456ot", "you *****"),  # Cyrillic i
        ("idiot, idiot", "*****, *****"),
        ("I\u200bdiot", "******"),  # the zero-width space is masked with the word
    ],
)
def test_a_mask_rule_stars_out_what_the_author_typed(text, masked):
    WordRule.objects.create(pattern="idiot", action=WordRule.MASK)
    assert wordfilter.screen(text) == wordfilter.Screened(masked, hold=False)


def test_a_pattern_rule_matches_on_the_folded_text():
    WordRule.objects.create(pattern=r"\bfree\s+m[o0]ney\b", kind=WordRule.PATTERN, action=WordRule.HOLD)
    assert wordfilter.screen("FREE   MONEY here").hold
    assert not wordfilter.screen("carefree moneyless").hold


def test_the_strictest_action_wins():
    WordRule.objects.create(pattern="darn", action=WordRule.MASK)
    WordRule.objects.create(pattern="crypto", action=WordRule.HOLD)
    assert wordfilter.screen("darn crypto") == wordfilter.Screened("**** crypto", hold=True)
    WordRule.objects.create(pattern="scam", action=WordRule.REFUSE)
    with pytest.raises(WallError):
        wordfilter.screen("darn crypto scam")


def test_a_disabled_rule_does_nothing():
    WordRule.objects.create(pattern="spam", action=WordRule.REFUSE, enabled=False)
    assert wordfilter.screen("spam").content == "spam"


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)+$", r"^(a|a?)+$", r"(\w+\s?)+$"])
def test_a_pattern_that_backtracks_catastrophically_cannot_be_saved(pattern):
    rule = WordRule(pattern=pattern, kind=WordRule.PATTERN, action=WordRule.REFUSE)
    with pytest.raises(ValidationError, match="catastrophic backtracking"):
        rule.full_clean()


@pytest.mark.parametrize("pattern", [r"(unclosed", r"*x", r"a{2,1}"])
def test_an_invalid_pattern_cannot_be_saved(pattern):
    with pytest.raises(ValidationError, match="Not a valid pattern"):
        WordRule(pattern=pattern, kind=WordRule.PATTERN).full_clean()


def test_a_slow_pattern_saved_behind_the_checks_back_is_skipped_not_fatal(caplog):
    WordRule.objects.create(pattern=r"(a+)+$", kind=WordRule.PATTERN, action=WordRule.REFUSE)
    text = "a" * 3000 + "!"
    assert wordfilter.screen(text).content == text
    assert "skipped" in caplog.text


# --- on the socket ------------------------------------------------------------------------------------


async def test_a_refused_post_is_an_error_with_the_reason_and_nothing_is_saved(sockets):
    await WordRule.objects.acreate(pattern="spam", action=WordRule.REFUSE, reason="no advertising")
    alice = await sockets()
    await alice.join(username="Alice")
    reader = await sockets()
    await alice.send("message", {"content": "cheap \u0455\u0440\u0430\u043c", "client_id": "c-1"})
    error = await alice.receive_next("error")
    assert (error["code"], error["client_id"], error["reason"]) == ("blocked", "c-1", "no advertising")
    assert "no advertising" in error["message"]
    assert not await Post.objects.aexists()
    assert await frames_within(reader, 0.5) <= {"user_joined"}  # presence at most, never the post
    assert (await alice.post("fine words", "c-2"))["content"] == "fine words"  # the socket goes on


async def test_a_masked_post_reaches_every_wall_masked(sockets):
    await WordRule.objects.acreate(pattern="idiot", action=WordRule.MASK)
    alice = await sockets()
    await alice.join(username="Alice")
    reader = await sockets()
    post = await alice.post("you idiot", "c-1")
    assert post["content"] == "you *****"
    assert (await reader.receive_next("message"))["message"]["content"] == "you *****"


async def test_a_post_a_rule_holds_waits_for_a_moderator_even_without_premoderation(sockets):
    await WordRule.objects.acreate(pattern="crypto", action=WordRule.HOLD)
    moderator = await open_with_cookie(await sync_to_async(lambda: session_cookie_of(moderator_user()))())
    try:
        await moderator.receive_type("moderator")
        alice = await sockets()
        await alice.join(username="Alice")
        await alice.send("message", {"content": "crypto tips", "client_id": "c-1"})
        held = (await alice.receive_next("message_held"))["message"]
        assert (await moderator.receive_next("held"))["message"] == held
        assert (await Post.objects.aget(pk=held["id"])).is_held
    finally:
        with contextlib.suppress(Exception):
            await moderator.close()


@pytest.fixture
async def admin_user(settings):
    from .test_admin import Moderator

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    admin_user = Moderator()
    await admin_user.login()
    return admin_user


@pytest.mark.parametrize(
    "pattern, kind, saved",
    [
        ("(a+)+$", "pattern", False),
        ("(unclosed", "pattern", False),
        ("(a+)+$", "word", True),
        (r"sp[a4]m", "pattern", True),
    ],
)
async def test_moderators_manage_rules_in_the_admin_and_bad_patterns_are_refused(
    admin_user, pattern, kind, saved
):
    data = {"pattern": pattern, "kind": kind, "action": "refuse", "reason": "", "enabled": "on"}
    response = await admin_user.post("/admin/wall/wordrule/add/", data)
    assert (response.status_code == 302) is saved
    assert await WordRule.objects.filter(pattern=pattern).aexists() is saved
    if not saved:
        assert b"errorlist" in response.content


@pytest.mark.parametrize(
    ("action", "code", "content"),
    [
        (WordRule.REFUSE, "blocked", None),
        (WordRule.HOLD, "blocked", None),
        (WordRule.MASK, None, "now *****"),
    ],
    ids=["refuse", "hold", "mask"],
)
async def test_an_edit_is_screened_like_a_post(sockets, action, code, content):
    """Issue 17, part 4: the rules apply on edit too. A hold rule refuses the edit: a visible post
    cannot go back to the held queue, so it stays as it was."""
    await WordRule.objects.acreate(pattern="idiot", action=action, reason="be kind")
    alice = await sockets()
    await alice.join(username="Alice")
    post = await alice.post("kind words", "c-1")
    await alice.send("edit", {"id": post["id"], "content": "now idiot", "client_id": "e-1"})
    if code is None:
        assert (await alice.receive_next("message_edited"))["message"]["content"] == content
    else:
        error = await alice.receive_next("error")
        assert (error["code"], error["client_id"]) == (code, "e-1")
        assert (await Post.objects.aget(pk=post["id"])).content == "kind words"
