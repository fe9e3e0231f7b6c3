"""Formatting figures for the report, and the one table helper every section uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bench.servers import REF_A, REF_B, REF_C, ServerSpec

# The multiplication sign and the en dash, as escapes (ruff flags them written out).
X, DASH = "\u00d7", "\u2013"
# The references each wall figure is divided by, in the order of the ratio columns.
REFS = ((REF_A, "(a)"), (REF_C, "(c)"), (REF_B, "(b)"))


def get(results: dict, *path: Any) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or str(key) not in node:
            return None
        node = node[str(key)]
    return node


def median(results: dict, *path: Any) -> float | None:
    node = get(results, *path)
    return node.get("median") if isinstance(node, dict) else node


def fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return DASH
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if digits == 0 and abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.{max(digits, 1) if abs(value) < 100 else digits}f}"
    return str(value)


def spread_text(node: dict | None, digits: int = 0) -> str:
    if not node or node.get("median") is None:
        return DASH
    if node.get("n", 1) <= 1 or node["min"] == node["max"]:
        return fmt(node["median"], digits)
    return f"{fmt(node['median'], digits)} ({fmt(node['min'], digits)}{DASH}{fmt(node['max'], digits)})"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b in (None, 0):
        return None
    return a / b


def ratio_text(a: float | None, b: float | None) -> str:
    value = ratio(a, b)
    return DASH if value is None else f"{value:.2f}{X}"


def ref_name(specs: list[ServerSpec], role: str) -> str | None:
    return next((s.name for s in specs if s.role == role), None)


@dataclass(frozen=True)
class Column:
    """One column: its title and how a row's entry becomes its cell."""

    title: str
    cell: Callable[[dict], str]


def ratio_columns(results: dict, specs: list[ServerSpec], *path: str, prefix: str = "") -> list[Column]:
    """Columns dividing an entry's median `path[1:]` by each reference's (results[path[0]][ref])."""
    section, *rest = path
    columns = []
    for role, label in REFS:
        ref = ref_name(specs, role)
        if ref is None:
            continue
        base = median(results, section, ref, *rest)
        columns.append(Column(f"{prefix}÷{label}", lambda e, base=base: ratio_text(median(e, *rest), base)))
    return columns


def table(columns: list[Column], rows: Iterable[tuple[str, dict]]) -> list[str]:
    """A Markdown table: the server column, then `columns`, one row per (label, entry)."""
    lines = ["| server | " + " | ".join(c.title for c in columns) + " |"]
    lines.append("|" + " --- |" * (len(columns) + 1))
    lines += ["| " + " | ".join([label, *(c.cell(entry) for c in columns)]) + " |" for label, entry in rows]
    return lines


def section(title: str, intro: list[str], columns: list[Column], rows: list[tuple[str, dict]]) -> list[str]:
    """A report section: heading, intro paragraphs, the table (or a dash when nothing was measured)."""
    out = [f"## {title}", ""]
    for paragraph in intro:
        out += [paragraph, ""]
    out += table(columns, rows) if rows else [DASH]
    return [*out, ""]


def rows_of(data: dict, specs: list[ServerSpec]) -> list[tuple[str, dict]]:
    """(label, entry) for each server, in the table's order, that has an entry in `data`."""
    return [(s.label, data[s.name]) for s in specs if data.get(s.name)]


def counts_text(counts: dict) -> str:
    """{"unavailable": 2, ...} as "unavailable: 2, ..." ("none" when empty)."""
    return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"
