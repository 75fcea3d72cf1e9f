"""LISTEN/NOTIFY wake-ups for the relay and the timer worker. Polling stays the fallback: a lost
LISTEN connection only makes them slower, never wrong."""

from __future__ import annotations

import asyncio
import contextlib
import math

import asyncpg

from propdesk.common.db import libpq_url
from propdesk.common.logging import get_logger

log = get_logger("propdesk.notifier")


class Notifier:
    def __init__(self, database_url: str, channels: list[str], *, coalesce_seconds: float = 0.0) -> None:
        """`coalesce_seconds`: after a wake-up, wait this long before returning, so that the commits of
        several requests are relayed (or their timers looked at) in one pass instead of one pass each."""
        self._coalesce = coalesce_seconds
        self._dsn = libpq_url(database_url)
        self._events = {channel: asyncio.Event() for channel in channels}
        # per channel: the earliest due time announced by the wake-ups since the last `take_due`
        self._due: dict[str, float] = {}
        self._conn: asyncpg.Connection | None = None

    async def start(self) -> None:
        try:
            conn = await asyncpg.connect(self._dsn)
            for channel in self._events:
                await conn.add_listener(channel, self._on_notify)
            self._conn = conn
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("notifier.listen_failed", error=str(exc))

    def _on_notify(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        try:
            due = float(payload) if payload else -math.inf  # no time given: look now
        except ValueError:
            due = -math.inf
        self.poke(channel, due)

    def poke(self, channel: str, due: float = -math.inf) -> None:
        """Wake the waiter on `channel`, as a NOTIFY would (this process's own commits call it directly);
        `due`: the earliest due time it announces (epoch seconds), -inf for "look now"."""
        event = self._events.get(channel)
        if event is not None:
            self._due[channel] = min(self._due.get(channel, math.inf), due)
            event.set()

    def take_due(self, channel: str) -> float | None:
        """The earliest due time (epoch seconds) that wake-ups on `channel` announced since the last call,
        -inf for a wake-up that gave none; None when there was no wake-up."""
        return self._due.pop(channel, None)

    async def wait(self, channel: str, timeout: float) -> None:
        """Return when notified on `channel` or after `timeout` seconds, whichever first."""
        event = self._events[channel]
        if self._conn is None or self._conn.is_closed():
            self._conn = None
            await self.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
            if self._coalesce:
                await asyncio.sleep(self._coalesce)
        event.clear()

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
