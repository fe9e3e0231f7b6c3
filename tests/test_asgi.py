"""wallsite/asgi.py, as a server loads it: the garbage collector's settings (docs/decisions.md,
"Garbage collection")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = "import gc, wallsite.asgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 1000)"


def load_asgi(**env: str) -> subprocess.CompletedProcess:
    """Import the ASGI application in a fresh process with only `env` for the wall's settings."""
    base = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "WALL_"))}
    base.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=ROOT,
        env={**base, "DJANGO_DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("env", "threshold"), [({}, "10000"), ({"WALL_GC_THRESHOLD": "700"}, "700")])
def test_the_app_freezes_what_start_up_made_and_collects_the_young_less_often(env, threshold):
    result = load_asgi(**env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [threshold, "True"]


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_a_threshold_that_would_stop_the_collector_or_is_no_number_stops_start_up(value):
    result = load_asgi(WALL_GC_THRESHOLD=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "WALL_GC_THRESHOLD must be" in result.stderr
