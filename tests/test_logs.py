"""Logs an operator can search: JSON lines on request, the process on each, and no personal data."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys

import pytest

from wall.logs import ProcessFilter, RecentProblems, recent_problems
from wallsite.logging_config import logging_config

from .servers import ROOT, server_env


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="text or json"):
        logging_config(log_format="xml", level="INFO")


def test_warnings_are_kept_for_the_dashboard_newest_first():
    """Through the root logger's RecentProblems handler (wallsite/logging_config.py)."""
    assert any(isinstance(handler, RecentProblems) for handler in logging.getLogger().handlers)
    logger = logging.getLogger("wall.test.recent")
    logger.warning("first %s", "warning")
    logger.info("not kept")
    logger.error("then an error")
    newest, older = recent_problems()[:2]
    assert (newest["level"], newest["message"]) == ("ERROR", "then an error")
    assert (older["level"], older["message"]) == ("WARNING", "first warning")


def test_json_logs_are_one_object_a_line_with_the_process_and_the_wall_context():
    """A real process with DJANGO_LOG_FORMAT=json; a refused frame logs socket id, event type, code."""
    script = (
        "import logging, django; django.setup();"
        "logging.getLogger('wall.consumers').info('refused message: empty',"
        " extra={'socket_id': 'abc123', 'event_type': 'message', 'error_code': 'empty'})"
    )
    env = server_env(DJANGO_LOG_FORMAT="json", REDIS_URL=None)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    record = json.loads(lines[-1])
    assert record["message"] == "refused message: empty"
    assert record["level"] == "INFO" and record["logger"] == "wall.consumers"
    assert record["socket_id"] == "abc123" and record["event_type"] == "message"
    assert record["error_code"] == "empty"
    assert re.fullmatch(r".+:\d+", record["process"]) and "time" in record


def test_the_text_format_stays_the_default():
    config = logging_config(log_format="text", level="INFO")
    assert "json" not in config["formatters"]


def test_every_record_carries_the_process():
    record = logging.LogRecord("wall", logging.INFO, __file__, 1, "hello", None, None)
    assert ProcessFilter().filter(record) and record.wall_process.count(":") >= 1


@pytest.mark.django_db(transaction=True)
async def test_no_token_or_client_address_reaches_the_logs(sockets, caplog):
    caplog.set_level(logging.DEBUG)
    address = "203.0.113.77"
    sock = await sockets(client=address)
    welcome = await sock.join(username="Private")
    await sock.post("hello")
    await sock.send("message", {"content": "   "})  # refused: logged with its code
    await sock.receive_next("error")
    await sock.send("join", {"token": "someone-elses-token-" + "x" * 30})  # refused re-join
    await sock.receive_next("error")
    await sock.close()
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert "refused message: empty" in caplog.text
    assert welcome["token"] not in caplog.text
    assert "someone-elses-token" not in caplog.text
    assert address not in caplog.text
