"""Telling an outage from a bug: the database refusing connections, shutting down, starting up, out of
connections, or a connection lost mid-request is "unavailable, retry later" (HTTP 503 with Retry-After; a
consumer waits and retries without spending a delivery), never a 500 or a dead letter."""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

RETRY_AFTER_SECONDS = 2
# 08: connection exception; 57P01/02/03: admin or crash shutdown, "the database system is starting up";
# 53300: too many connections; 53400: configuration limit exceeded
UNAVAILABLE_STATES = ("57P01", "57P02", "57P03", "53300", "53400")
# raised as they are (not wrapped by SQLAlchemy) when a connection is being made
RAW = (ConnectionError, TimeoutError, PoolTimeout, asyncpg.PostgresError, asyncpg.InterfaceError)


def sqlstate(exc: BaseException) -> str:
    """The PostgreSQL SQLSTATE of an error (wrapped by SQLAlchemy or not), or ""."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    for candidate in (orig, getattr(orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if state:
            return str(state)
    return ""


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be used right now (as opposed to: this statement is wrong)."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            return True
        orig = exc.orig
        if isinstance(orig, ConnectionError | TimeoutError | asyncpg.InterfaceError):
            return True
    elif isinstance(exc, ConnectionError | TimeoutError | PoolTimeout | asyncpg.InterfaceError):
        return True
    state = sqlstate(exc)
    return state.startswith("08") or state in UNAVAILABLE_STATES
