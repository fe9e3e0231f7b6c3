"""The word filter: moderators' blocked words and patterns (WordRule, managed in the admin), checked
against each post, case- and confusable-insensitively; each rule refuses, holds or masks.

Text is compared through its *skeleton*: each character folded on its own (NFKD without marks,
Latin look-alikes from Cyrillic and Greek, anyascii's transliteration of the rest, casefold), format
characters such as zero-width spaces dropped. So "SPAM" in fullwidth letters, "spam" with Cyrillic
look-alikes, "Spám" and "s" + zero-width space + "pam" all read "spam",
and a masked span maps back to the characters the author typed. Patterns run on the `regex` library
with a time limit, so a pattern that backtracks catastrophically cannot stall a post.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from dataclasses import dataclass

import regex
from anyascii import anyascii
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .errors import WallError
from .models import WordRule

logger = logging.getLogger(__name__)

MATCH_SECONDS = 0.05  # per pattern and post
# Letters that look Latin but are not (Unicode TR39's confusables, the common part): anyascii would
# transliterate them by sound (Cyrillic er, U+0440, is "r"), not by look, which a spammer relies on.
# Cyrillic and Greek letters, lower and upper case, to the Latin letter they look like.
LOOK_ALIKES = {
    0x0430: "a",
    0x0435: "e",
    0x043E: "o",
    0x0440: "p",
    0x0441: "c",
    0x0443: "y",
    0x0445: "x",
    0x0456: "i",
    0x0458: "j",
    0x0455: "s",
    0x0501: "d",
    0x051B: "q",
    0x051D: "w",
    0x0432: "b",
    0x043A: "k",
    0x043C: "m",
    0x043D: "h",
    0x0442: "t",
    0x0433: "r",
    0x044C: "b",
    0x0261: "g",
    0x0410: "a",
    0x0415: "e",
    0x041E: "o",
    0x0420: "p",
    0x0421: "c",
    0x0423: "y",
    0x0425: "x",
    0x0406: "i",
    0x0408: "j",
    0x0405: "s",
    0x0412: "b",
    0x041A: "k",
    0x041C: "m",
    0x041D: "h",
    0x0422: "t",
    0x03B1: "a",
    0x03BF: "o",
    0x03B9: "i",
    0x03C1: "p",
    0x03BD: "v",
    0x03BA: "k",
    0x03C4: "t",
    0x03C5: "u",
    0x03C7: "x",
    0x03B5: "e",
    0x0391: "a",
    0x0392: "b",
    0x0395: "e",
    0x0397: "h",
    0x0399: "i",
    0x039A: "k",
    0x039C: "m",
    0x039D: "n",
    0x039F: "o",
    0x03A1: "p",
    0x03A4: "t",
    0x03A5: "y",
    0x03A7: "x",
    0x0396: "z",
}
# Inputs a pattern must get through in time to be saved (nested repeats blow up on these).
PROBES = ("a" * 3000 + "!", "ab" * 1500 + "!", " " * 3000 + "x", "aaaa" * 700 + "b")


def _fold(char: str) -> str:
    if unicodedata.category(char) == "Cf":
        return ""
    decomposed = unicodedata.normalize("NFKD", char.translate(LOOK_ALIKES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return anyascii(bare.translate(LOOK_ALIKES)).casefold()


def skeleton(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the original one it came from."""
    folded, origin = [], []
    for index, char in enumerate(text):
        for piece in _fold(char):
            folded.append(piece)
            origin.append(index)
    return "".join(folded), origin


def check_pattern(pattern: str) -> None:
    """Raise ValidationError when `pattern` is not a valid pattern, or when it takes too long on
    PROBES (catastrophic backtracking)."""
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE | regex.V1)
    except regex.error as error:
        raise ValidationError(f"Not a valid pattern: {error}") from None
    for probe in PROBES:
        try:
            compiled.search(probe, timeout=MATCH_SECONDS)
        except TimeoutError:
            raise ValidationError(
                "This pattern takes too long on some texts (catastrophic backtracking); simplify its "
                "nested repeats."
            ) from None


@dataclass(frozen=True)
class Screened:
    """What the filter made of a post's text: maybe masked, maybe to hold."""

    content: str
    hold: bool = False


def _spans(rule: WordRule, folded: str) -> list[tuple[int, int]]:
    if rule.kind == WordRule.WORD:
        needle = skeleton(rule.pattern)[0]
        spans, start = [], folded.find(needle)
        while needle and start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
        return spans
    try:
        compiled = regex.compile(rule.pattern, regex.IGNORECASE | regex.V1)
        return [m.span() for m in compiled.finditer(folded, timeout=MATCH_SECONDS) if m.end() > m.start()]
    except (regex.error, TimeoutError):
        # A pattern saved before the check, or a text it chokes on: skipped, and said so.
        logger.warning("word rule %s skipped: invalid or too slow on a post", rule.pk)
        return []


_cached: tuple[float, list[WordRule]] | None = None  # (monotonic time read, the enabled rules)


def enabled_rules() -> list[WordRule]:
    """The enabled rules, oldest first, read at most every WALL_WORD_RULES_TTL seconds per process:
    every post is screened, and a query per post for rules that rarely change would sit on the
    post's road (bench/README.md). A change made in this process (the admin) applies at once
    (the signals below); other processes see it within the TTL (docs/decisions.md)."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is None or now - cached[0] >= settings.WALL_WORD_RULES_TTL:
        cached = _cached = (now, list(WordRule.objects.filter(enabled=True).order_by("id")))
    return cached[1]


def forget_rules() -> None:
    """Read the rules again on the next post (a rule saved or deleted; tests that empty the tables)."""
    global _cached
    _cached = None


@receiver([post_save, post_delete], sender=WordRule)
def _on_rule_change(**kwargs: object) -> None:
    forget_rules()


def screen(text: str) -> Screened:
    """Apply every enabled rule to `text` (a post's, or an edit's): raises WallError `blocked` with
    the rule's reason for a refuse rule; else masks the spans of mask rules with "*" and says whether
    a hold rule matched. The strictest action wins: refuse, then hold, then mask."""
    rules = enabled_rules()
    if not rules or not text:
        return Screened(text)
    folded, origin = skeleton(text)
    masked: set[int] = set()
    hold = False
    for rule in rules:
        spans = _spans(rule, folded)
        if not spans:
            continue
        if rule.action == WordRule.REFUSE:
            reason = rule.reason or "it contains a blocked word"
            raise WallError("blocked", f"This post was refused: {reason}.", reason=reason)
        if rule.action == WordRule.HOLD:
            hold = True
        else:
            # From the first to the last character typed: what folded to nothing in between goes too.
            masked.update(i for start, end in spans for i in range(origin[start], origin[end - 1] + 1))
    content = "".join("*" if i in masked and not text[i].isspace() else c for i, c in enumerate(text))
    return Screened(content, hold)
