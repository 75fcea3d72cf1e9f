"""structlog: JSON in production, readable console in dev; correlation id bound per request and event."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import structlog

_SECRET_KEYS = frozenset({"password", "id_number", "authorization", "token", "secret"})


def _drop_secrets(_logger: object, _name: str, event: dict) -> dict:
    for key in _SECRET_KEYS.intersection(event):
        event[key] = "***"
    return event


def configure_logging(*, json: bool, level: str = "INFO", file: Path | None = None) -> None:
    """Log lines to stderr, or appended to `file` (PROPDESK_LOG_FILE)."""
    processors: list = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(
            file.open("a", encoding="utf-8", buffering=1) if file is not None else sys.stderr
        ),
        cache_logger_on_first_use=False,
    )


get_logger = structlog.get_logger
