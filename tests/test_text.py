"""What counts as nothing in a post: one rule by Unicode category, the same on the server and on the page."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from wall import services
from wall.models import Post

TEXT_JS = Path(__file__).resolve().parent.parent / "wall" / "static" / "wall" / "text.js"

# One member of each kind of nothing, alone and in company.
BLANKS = {
    "zero-width-space": "\u200b",
    "braille-blank": "\u2800",
    "hangul-filler": "\u3164",
    "hangul-choseong-filler": "\u115f",
    "hangul-jungseong-filler": "\u1160",
    "halfwidth-hangul-filler": "\uffa0",
    "soft-hyphen": "\u00ad",
    "byte-order-mark": "\ufeff",
    "word-joiner": "\u2060",
    "invisible-times": "\u2062",
    "zero-width-joiners": "\u200c\u200d",
    "bidi-marks": "\u200e\u200f\u202a\u202c\u2066\u2069",
    "mongolian-vowel-separator": "\u180e",
    "variation-selectors": "\ufe0f\U000e0100",
    "combining-grapheme-joiner": "\u034f",
    "tag-characters": "\U000e0001\U000e0041\U000e007f",
    "no-break-and-ideographic-space": "\u00a0\u3000\u2007",
    "line-and-paragraph-separators": "\u2028\u2029",
    "controls": "\x01\x07\x1b\x7f\x85",
    "mixed": " \u200b\u3164\n\u2800\u00ad\ufeff\t",
}
# Lookalikes that do show something: never refused.
VISIBLE = ["a", "\u3131", "\u2801", ".", "\u00b7", "\U0001f600", "\u0301", "\ue000", "\u200ba\u200b"]


@pytest.mark.parametrize("content", BLANKS.values(), ids=BLANKS.keys())
def test_a_post_of_only_invisible_characters_is_empty(content):
    assert services.is_blank(content)
    assert services.clean_content(content) == ""


@pytest.mark.parametrize("content", VISIBLE)
def test_a_post_with_anything_visible_is_not_blank(content):
    assert not services.is_blank(content)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("content", BLANKS.values(), ids=BLANKS.keys())
async def test_an_invisible_post_is_refused_as_empty_on_the_socket(sockets, content):
    sock = await sockets()
    await sock.join(username="Alice")
    await sock.send("message", {"content": content, "client_id": "c-blank"})
    error = await sock.receive_next("error")
    assert error["code"] == "empty" and error["client_id"] == "c-blank"
    assert await Post.objects.acount() == 0


def test_the_page_and_the_server_call_the_same_characters_blank():
    """Every code point this Python's Unicode assigns is blank to text.js exactly when it is to is_blank
    (code points unassigned here may be assigned in the newer Unicode of Node or Chromium)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    script = (
        f"import {{ isBlank }} from {json.dumps(TEXT_JS.as_uri())};"
        "const out = [];"
        "for (let c = 0; c <= 0x10ffff; c++) {"
        "  if (c >= 0xd800 && c <= 0xdfff) continue;"
        "  if (isBlank(String.fromCodePoint(c))) out.push(c);"
        "}"
        "console.log(JSON.stringify(out));"
    )
    result = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True, timeout=60
    )
    page = set(json.loads(result.stdout))
    server = {
        code
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and services.is_blank(chr(code))
    }
    assigned = {code for code in page ^ server if unicodedata.category(chr(code)) != "Cn"}
    assert assigned == set(), sorted(hex(code) for code in assigned)[:20]
