"""A reply's quote of its original: one rule (wall.selectors.excerpt), and the page's copy of it
(postmeta.js, which refreshes quotes when an original is edited) cuts the same line."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from wall.selectors import excerpt

from .test_text import TEXT_JS

POSTMETA_JS = TEXT_JS.parent / "postmeta.js"

TEXTS = {
    "one line": "what time is lunch?",
    "padded": "  lunch \n",
    "two lines": "first line\nsecond line",
    "blank first lines": "\n \n  first shown\nmore",
    "windows breaks": "one\r\ntwo",
    "unicode separators": "one\u2028two",
    "form feed and vertical tab": "one\x0ctwo\x0bthree",
    "exactly the limit": "x" * 120,
    "one over the limit": "y" * 121,
    "long words": "word " * 60,
    "emoji over the limit": "\U0001f600" * 130,
    "empty": "",
}


@pytest.mark.parametrize("content", TEXTS.values(), ids=TEXTS.keys())
def test_an_excerpt_is_at_most_the_limit_and_one_line(content, settings):
    cut = excerpt(content)
    assert len(cut) <= settings.WALL_EXCERPT_MAX + 2 and "\n" not in cut  # " …" marks more lines


def test_a_long_line_is_cut_with_an_ellipsis_and_more_lines_are_marked():
    assert excerpt("y" * 121) == "y" * 119 + "…"
    assert excerpt("x" * 120) == "x" * 120
    assert excerpt("first\nsecond") == "first …"
    assert excerpt("") == ""


def test_the_page_cuts_the_same_excerpt_as_the_server():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    script = (
        f"import {{ excerpt }} from {json.dumps(POSTMETA_JS.as_uri())};"
        f"const texts = {json.dumps(list(TEXTS.values()))};"
        "console.log(JSON.stringify(texts.map((text) => excerpt(text))));"
    )
    result = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == [excerpt(text) for text in TEXTS.values()]
