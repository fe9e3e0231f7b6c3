"""docs/protocol.md and the page's JS stay true to wall/protocol.py: every event and error code listed."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from wall.protocol import CLIENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL_MD = ROOT / "docs" / "protocol.md"
WALL_JS = ROOT / "wall" / "static" / "wall" / "wall.js"
OPENERS, CLOSERS = "({[", ")}]"


def server_event_types() -> list[str]:
    """Every type built with event("name", ...) in wall/protocol/events.py."""
    text = (ROOT / "wall" / "protocol" / "events.py").read_text()
    return sorted(set(re.findall(r"\bevent\(\s*\"([a-z_]+)\"", text)))


def client_event_types() -> list[str]:
    return sorted(CLIENT_TYPES)


def error_codes_in_code() -> list[str]:
    """Every code passed as WallError("code", ...) in wall/ and its packages."""
    codes: set[str] = set()
    for path in (ROOT / "wall").rglob("*.py"):
        codes |= set(re.findall(r"\bWallError\(\s*\"([a-z_]+)\"", path.read_text()))
    return sorted(codes)


def protocol_section(title: str) -> str:
    """The text of the `## title` section of docs/protocol.md."""
    text = PROTOCOL_MD.read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"docs/protocol.md has no '## {title}' section"
    return match.group(1)


def event_sections(title: str) -> dict[str, str]:
    """`### \\`name\\`` subsections of a section, by name."""
    parts = re.split(r"^### `([a-z_]+)`\n", protocol_section(title), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def documented_error_codes() -> set[str]:
    return set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", protocol_section("Errors"), re.MULTILINE))


def handler_keys_text() -> str:
    """The top level of the `handlers` object literal in wall.js: its keys, without their bodies."""
    assert WALL_JS.is_file(), "wall/static/wall/wall.js is missing"
    text = WALL_JS.read_text()
    match = re.search(r"\bhandlers\s*[=:]\s*\{", text)
    assert match, "wall.js has no `handlers = {...}` object"
    depth, kept = 1, []
    for char in text[match.end() :]:
        if char in OPENERS:
            if depth == 1:
                kept.append(char)
            depth += 1
        elif char in CLOSERS:
            depth -= 1
            if depth == 0:
                break
            if depth == 1:
                kept.append(char)
        elif depth == 1:
            kept.append(char)
    return "".join(kept)


@pytest.mark.parametrize("kind", server_event_types())
def test_every_server_event_has_a_section(kind):
    assert kind in event_sections("Server → client events")


@pytest.mark.parametrize("kind", client_event_types())
def test_every_client_event_has_a_section(kind):
    assert kind in event_sections("Client → server events")


@pytest.mark.parametrize(
    "title, kinds",
    [("Server → client events", server_event_types()), ("Client → server events", client_event_types())],
)
def test_no_section_describes_an_event_the_code_lacks(title, kinds):
    assert set(event_sections(title)) - set(kinds) == set()


@pytest.mark.parametrize("title", ["Server → client events", "Client → server events"])
def test_every_event_section_has_a_json_example_of_its_type(title):
    for kind, body in event_sections(title).items():
        examples = re.findall(r"```json\n(.*?)```", body, re.DOTALL)
        assert examples, f"### `{kind}` has no JSON example"
        for example in examples:
            assert json.loads(example)["type"] == kind


@pytest.mark.parametrize("kind", server_event_types())
def test_every_server_event_has_a_handler_in_wall_js(kind):
    keys = handler_keys_text()
    assert re.search(rf"(?<![\w$])[\"']?{kind}[\"']?\s*[(:]", keys), f"no handlers.{kind} in wall.js"


@pytest.mark.parametrize("code", error_codes_in_code())
def test_every_error_code_is_in_the_errors_table(code):
    assert code in documented_error_codes()


def test_the_errors_table_lists_only_codes_the_code_sends():
    assert documented_error_codes() - set(error_codes_in_code()) == set()


def test_every_import_rule_is_named_in_the_architecture_doc():
    """docs/architecture.md names each import-linter contract that `make test` checks."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    text = (ROOT / "docs" / "architecture.md").read_text()
    names = [contract["name"] for contract in config["contracts"]]
    assert names and [name for name in names if f"- {name}\n" not in text] == []
