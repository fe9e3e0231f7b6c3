"""Results out: targets (PASS/MISS), the Markdown report, JSON, and the plot (copied to docs/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench import markdown, sections
from bench.plot import plot
from bench.servers import ServerSpec
from bench.targets import targets

__all__ = ["render", "targets", "write"]

# The report's sections, in order; each takes (report, specs) and returns its lines.
SECTIONS = [
    markdown.header,
    markdown.targets_section,
    markdown.saturation,
    markdown.pairs,
    markdown.fixed,
    markdown.overload,
    markdown.sweep,
    sections.connect_idle,
    sections.history,
    sections.two_processes,
    sections.storm,
    sections.lock,
    sections.errors,
]


def render(report: dict, specs: list[ServerSpec]) -> str:
    """The whole Markdown report."""
    return "\n".join(line for make in SECTIONS for line in make(report, specs))


def write(
    report: dict, specs: list[ServerSpec], results_dir: Path, docs_copy: Path | None
) -> dict[str, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    json_path = results_dir / "latest.json"
    json_path.write_text(json.dumps(report, indent=1, default=str))
    written["json"] = json_path
    md_path = results_dir / "latest.md"
    md_path.write_text(render(report, specs))
    written["md"] = md_path
    png = results_dir / "fanout.png"
    if plot(report, specs, png):
        written["png"] = png
        if docs_copy is not None:
            docs_copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, docs_copy)
            written["docs_png"] = docs_copy
    return written
