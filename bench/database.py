"""The benchmark's own PostgreSQL database: create, migrate, empty, fill, explain the history read."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.servers import ROOT
from wall.names import skeleton


def _admin_url(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def wall_env(database_url: str) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wallsite.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-migrate-only",
        "DATABASE_URL": database_url,
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def migrations_state() -> tuple:
    """The migration files on disk (names and mtimes): when they change during a run, migrate again."""
    return tuple(sorted((f.name, f.stat().st_mtime) for f in (ROOT / "wall" / "migrations").glob("*.py")))


_migrated: tuple | None = None


def ensure_migrated(database_url: str) -> None:
    global _migrated
    state = migrations_state()
    if state != _migrated:
        prepare(database_url)
        _migrated = state


def prepare(database_url: str, timeout: float = 120) -> None:
    """Create the database if missing and apply the wall's migrations."""
    admin_url, name = _admin_url(database_url)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=wall_env(database_url),
        check=True,
        timeout=timeout,
    )


def wall_tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'wall\\_%'"
    ).fetchall()
    return [row[0] for row in rows]


def truncate(database_url: str) -> None:
    """Empty every wall_* table (posts, participants, ...) and restart their ids."""
    with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SET lock_timeout = '20s'")
        tables = wall_tables(conn)
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def post_count(database_url: str) -> int:
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM wall_post").fetchone()[0]


def fill_history(database_url: str, total: int) -> float:
    """Bring wall_post up to `total` posts (1% hidden) by one author, in SQL; return the seconds taken.

    Then VACUUM ANALYZE, as autovacuum would soon after a bulk load: fresh statistics and a visibility map.
    """
    import time

    start = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as conn:
        have = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM wall_post").fetchone()
        count, top = have
        if count < total:
            author = conn.execute(
                "SELECT id FROM wall_participant WHERE username = 'bench-history'"
            ).fetchone()
            if author is None:
                # Every NOT NULL column the model has (Django's defaults are not the database's).
                author = conn.execute(
                    "INSERT INTO wall_participant (username, username_skeleton, token_hash, created_at,"
                    " is_banned, ban_reason, is_trusted)"
                    " VALUES ('bench-history', %(skeleton)s, md5(random()::text) || md5(random()::text),"
                    " now(), false, '', false)"
                    " RETURNING id",
                    {"skeleton": skeleton("bench-history")},
                ).fetchone()
            conn.execute(
                "INSERT INTO wall_post (author_id, content, created_at, client_id, is_hidden, is_held,"
                " deleted_by_author, hidden_by, hidden_reason, reactions_rev)"
                " SELECT %(author)s, 'history post ' || g || ' ' || repeat('x', 80),"
                "        now() - make_interval(secs => (%(last)s::bigint - g) / 1000.0), NULL, g %% 100 = 0,"
                "        false, false, '', '', 0"
                " FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g",
                {"author": author[0], "first": top + 1, "last": top + total - count},
            )
        conn.execute("VACUUM ANALYZE wall_post")
        conn.execute("VACUUM ANALYZE wall_participant")
    return time.perf_counter() - start


EXPLAIN_SCRIPT = """
import json, django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wall import selectors
# The queries the consumer's history read really runs (a fresh socket, no ?since=), captured, then explained.
with CaptureQueriesContext(connection) as captured:
    selectors.post_history_on_connect(since_id=None)
out = []
with connection.cursor() as cursor:
    for query in captured.captured_queries:
        sql = query["sql"]
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        first = [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        out.append({"sql": sql, "plan_first": first, "plan": [row[0] for row in cursor.fetchall()]})
print(json.dumps({"queries": out}))
"""


def explain_history(database_url: str, timeout: float = 60) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the history query, taken from wall/selectors.py through Django."""
    done = subprocess.run(
        [sys.executable, "-c", EXPLAIN_SCRIPT],
        cwd=ROOT,
        env=wall_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    plans = "\n".join(line for query in result["queries"] for line in query["plan"])
    result["index_scan"] = "Index Scan" in plans or "Index Only Scan" in plans
    result["seq_scan_on_post"] = "Seq Scan on wall_post" in plans
    return result
