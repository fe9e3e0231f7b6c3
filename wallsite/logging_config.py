"""The LOGGING setting, built from the environment; its filter and handlers live in wall/logs.py."""

from __future__ import annotations


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting: `text` (the default) or `json`, one object per line (python-json-logger),
    with time, level, logger, message and process, plus socket_id, event_type and error_code where
    the wall's code adds them."""
    formatters = {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(wall_process)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "wall_process": "process",
            },
        },
    }
    if log_format not in formatters:
        raise ValueError(f"DJANGO_LOG_FORMAT must be text or json, got {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"process": {"()": "wall.logs.ProcessFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["process"]},
            "recent": {"()": "wall.logs.RecentProblems"},
        },
        "root": {"handlers": ["console", "recent"], "level": level},
    }
