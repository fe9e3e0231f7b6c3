"""The page's stylesheets parse as their authors meant: every block closes where it should. A brace
left open (as a merge once left `@media (pointer: coarse)`) silently moves every later rule into
that block, and the page's layout changes without an error anywhere."""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "wall" / "static" / "wall"


def _without_comments_and_strings(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return re.sub(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", '""', css)


@pytest.mark.parametrize("path", sorted(STATIC.glob("*.css")), ids=lambda path: path.name)
def test_every_block_of_a_stylesheet_closes(path):
    css = _without_comments_and_strings(path.read_text())
    depth = 0
    for number, line in enumerate(css.splitlines(), start=1):
        for char in line:
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                assert depth >= 0, f"{path.name}:{number}: a closing brace with no block open"
    assert depth == 0, f"{path.name}: {depth} block(s) never closed"
