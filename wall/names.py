"""The rules of a name: its form (NFC, trimmed), the characters and scripts it may use, and its
confusable skeleton, which decides when two names are the same (Unicode TS #39, section 4).

Plain functions over strings, no database: services, the model's validator and the availability
view all ask here. The confusables and script data come from `confusable-homoglyphs`
(docs/decisions.md, "Names in any script").
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from confusable_homoglyphs import categories as unicode_scripts
from confusable_homoglyphs import confusables as unicode_confusables
from django.conf import settings

# Scripts that go with any other (UTS #24): punctuation, ASCII digits, combining marks.
_ANY_SCRIPT = frozenset({"COMMON", "INHERITED"})
# TS #39 §5.2 "Highly Restrictive": one script, or Latin with one of these East Asian sets.
_EAST_ASIAN_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_PUNCTUATION = frozenset("_-")
# More marks than this on one letter is a pile-up ("zalgo"), not writing.
_MAX_MARKS = 3
# The skeleton repeats until it stops changing; real text settles in two rounds.
_SKELETON_ROUNDS = 5


@dataclass(frozen=True)
class NameProblem:
    """Why a text cannot be a name: a sentence for people, and the character at fault (or None)."""

    reason: str
    character: str | None = None


def normalize(text: str) -> str:
    """The form a name is stored and shown in: NFC, with plain spaces (U+0020) trimmed at both ends.

    Only U+0020 is trimmed: a line break, a tab or an invisible space stays, and is refused by
    `character_problem`, so "Alice\\n" never passes for "Alice"."""
    return unicodedata.normalize("NFC", text).strip(" ")


def _describe(char: str) -> str:
    name = unicodedata.name(char, f"U+{ord(char):04X}")
    shown = char if unicodedata.category(char)[0] in "LNP" else ""
    return f"“{shown}” ({name})" if shown else name


def character_problem(name: str) -> NameProblem | None:
    """The first character that no name may hold, in an already normalized name, or None.

    Allowed: letters and digits of any script, combining marks on a letter (at most three),
    `_`, `-`, and single spaces between words. Refused, among others: invisible characters (format
    characters such as U+200B, U+200D, U+2060, U+FEFF), bidi controls (U+202E...), line breaks and
    other spaces, and symbols."""
    marks = 0
    previous = ""
    for char in name:
        category = unicodedata.category(char)
        if char == " ":
            if previous == " ":
                return NameProblem("Use one space between words, not two.", char)
            marks = 0
        elif category[0] == "M":
            marks += 1
            if not previous or previous in " _-" or marks > _MAX_MARKS:
                return NameProblem(f"The mark {_describe(char)} must follow a letter.", char)
        elif category[0] == "L" or category == "Nd" or char in _PUNCTUATION:
            marks = 0
        else:
            return NameProblem(f"{_describe(char)} cannot be part of a name.", char)
        previous = char
    return None


def spoof_problem(name: str) -> NameProblem | None:
    """Why `name` looks made to pass for another, or None: letters that NFKC would change
    (full-width, mathematical, ligatures: look-alikes of ordinary letters), then `script_problem`."""
    for char in name:
        if unicodedata.normalize("NFKC", char) != char:
            shown = _describe(char)
            return NameProblem(f"{shown} is a look-alike form; type the ordinary letter instead.", char)
    return script_problem(name)


def script_problem(name: str) -> NameProblem | None:
    """Why the scripts of `name` look like spoofing (TS #39 §5.2 "Highly Restrictive"), or None.

    Allowed: one script (Common and Inherited characters go with any), or Latin with Han and
    Japanese kana, with Han and Bopomofo, or with Han and Hangul. Digits must all come from one
    decimal system (TS #39 §5.3, mixed numbers)."""
    scripts: dict[str, str] = {}
    for char in name:
        script = unicode_scripts.alias(char)
        if script not in _ANY_SCRIPT:
            scripts.setdefault(script, char)
    found = set(scripts)
    if len(found) > 1 and not any(found <= allowed for allowed in _EAST_ASIAN_SETS):
        first, *others = sorted(scripts.items(), key=lambda item: name.index(item[1]))
        other_script, char = others[0]
        return NameProblem(
            f"A name keeps to one script: {_describe(char)} is {_title(other_script)}, "
            f"the rest is {_title(first[0])}.",
            char,
        )
    zeros = {ord(char) - unicodedata.digit(char) for char in name if unicodedata.category(char) == "Nd"}
    if len(zeros) > 1:
        return NameProblem("A name's digits come from one numbering system.", None)
    return None


def _title(script: str) -> str:
    return script.replace("_", " ").title()


def length_problem(name: str) -> NameProblem | None:
    """Too short or too long, counted in code points after `normalize` (WALL_USERNAME_MIN/MAX)."""
    low, high = settings.WALL_USERNAME_MIN, settings.WALL_USERNAME_MAX
    if not low <= len(name) <= high:
        return NameProblem(f"A name has {low} to {high} characters.")
    return None


def form_problem(name: str) -> NameProblem | None:
    """What the name itself breaks (characters, then length), before any look at other names."""
    return character_problem(name) or length_problem(name)


def name_problem(name: str) -> NameProblem | None:
    """Every rule on a normalized name that needs no other name: form, then look-alikes."""
    return form_problem(name) or spoof_problem(name)


def skeleton(text: str) -> str:
    """The confusable skeleton: two names are the same name when their skeletons are equal.

    TS #39's skeleton (NFKC, case fold, then each character replaced by its prototype from
    confusables.txt), made blind to case: the folded text is mapped in upper case and again in
    lower case, since the table is case-sensitive ("В" is like "B" while "в" is like "ʙ"; "I" is
    like "l" while "i" is not), and the whole repeats until nothing changes. "Bob", "BOB", "Воb"
    (Cyrillic В and о), "Ᏼob" (Cherokee), full-width "Ｂｏｂ" and "B0b" all give "bob"."""
    table = _prototypes()

    def mapped(text: str) -> str:
        return unicodedata.normalize("NFKC", "".join(table.get(char, char) for char in text))

    current = normalize(text)
    for _ in range(_SKELETON_ROUNDS):
        folded = unicodedata.normalize("NFKC", current).casefold()
        after = mapped(mapped(folded.upper()).casefold())
        if after == current:
            break
        current = after
    return current


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each confusable character -> the string that stands for its class (its prototype).

    The library stores confusables.txt's pairs (source -> prototype) in both directions, so the
    direction is read back: a prototype has many partners, a source one; in a lone pair the
    prototype is the longer string ("rn" for "m"), else the lower code point (either choice gives
    the same equalities)."""
    pairs: dict[str, list[dict[str, str]]] = unicode_confusables.confusables_data
    prototypes: dict[str, str] = {}
    for char, partners in pairs.items():
        if len(char) != 1 or len(partners) > 1:
            continue  # a string, or a prototype: stands for itself
        partner = partners[0]["c"]
        partner_count = len(pairs.get(partner, ()))
        if partner_count > 1 or len(partner) > 1 or partner < char:
            prototypes[char] = partner
    return prototypes
