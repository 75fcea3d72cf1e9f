"""Durable timers: a due-time table and a worker (SKIP LOCKED, replica-safe, survives restarts) for
SLA clocks, escalations, dunning and scheduled notices.

`schedule()` stages the timer in the caller's unit of work, so a timer exists only if the change that wanted
it committed. The worker fires a due timer in its own transaction and deletes it there: the handler's
effects (and any events it records) commit together with the timer's removal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from propdesk.common import uow
from propdesk.common.db import PlatformTables, platform_of
from propdesk.common.events import Actor, EventContext, bind_context, current_context, reset_context
from propdesk.common.ids import uuid7
from propdesk.common.logging import get_logger
from propdesk.common.notifier import Notifier
from propdesk.common.timeutil import utcnow
from propdesk.common.uow import unit_of_work

log = get_logger("propdesk.timers")


@dataclass(frozen=True)
class Timer:
    id: uuid.UUID
    kind: str
    key: str | None
    due_at: dt.datetime
    payload: dict[str, Any]
    attempts: int


TimerHandler = Callable[[AsyncSession, Timer], Awaitable[None]]
BatchTimerHandler = Callable[[AsyncSession, list[Timer]], Awaitable[None]]  # all due timers of a kind at once


class Defer(Exception):
    """Raised by a handler that cannot act yet (its row is locked by a request): fire again shortly,
    without counting an attempt."""

    def __init__(self, after: dt.timedelta = dt.timedelta(seconds=1)) -> None:
        super().__init__(f"deferred by {after}")
        self.after = after


async def lock_or_defer(session: AsyncSession, model, key):
    """Lock a row for a timer handler without waiting. The worker holds timer rows while handlers run, and
    requests lock their row before rescheduling its timers; waiting here could deadlock, so defer instead."""
    try:
        return await session.get(model, key, with_for_update={"nowait": True})
    except DBAPIError as exc:
        if "lock" in str(exc.orig).lower():
            raise Defer from exc
        raise


async def lock_for_batch(session: AsyncSession, model, batch: list[Timer], id_field: str) -> dict:
    """For a batch handler: lock the rows its timers are about (payload[id_field]), skipping rows a request
    holds. The timers of a skipped row move a second on (so they fire again); those whose row is gone are left
    to be deleted. Returns {id: row} of the locked rows."""
    ids = {uuid.UUID(t.payload[id_field]) for t in batch}
    found = {
        row.id: row
        for row in (
            await session.execute(select(model).where(model.id.in_(ids)).with_for_update(skip_locked=True))
        ).scalars()
    }
    waiting = [t for t in batch if uuid.UUID(t.payload[id_field]) not in found]
    if waiting:
        exists = set(
            (
                await session.execute(
                    select(model.id).where(model.id.in_([uuid.UUID(t.payload[id_field]) for t in waiting]))
                )
            ).scalars()
        )
        retry = utcnow() + dt.timedelta(seconds=1)
        schedule_many(
            session,
            [
                {"kind": t.kind, "key": t.key, "due_at": retry, "payload": t.payload}
                for t in waiting
                if uuid.UUID(t.payload[id_field]) in exists
            ],
        )
    return found


UPDATED_ON_MOVE = ("kind", "due_at", "payload", "attempts", "last_error")


class TimerStage:
    """The timers a unit of work scheduled, moved and cancelled: the last operation on a key wins, and all of
    them are written by the flush's one statement (upserts, inserts that keep an existing timer, deletes)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.by_key: dict[str, tuple[str, dict | None]] = {}  # key -> ("move" | "keep" | "cancel", row)
        self.keyless: list[dict] = []

    def put(self, row: dict, *, keep_existing: bool) -> None:
        key = row["key"]
        if key is None:
            self.keyless.append(row)
            return
        before = self.by_key.get(key)
        if keep_existing and before is not None and before[0] != "cancel":
            return  # already scheduled in this unit of work: it stays as it is
        # after a cancel, the key's timer is replaced either way
        op = "keep" if keep_existing and before is None else "move"
        self.by_key[key] = (op, row)

    def cancel(self, keys: list[str]) -> None:
        for key in keys:
            self.by_key[key] = ("cancel", None)

    def parts(self) -> list[uow.Part]:
        moves = [row for op, row in self.by_key.values() if op == "move"] + self.keyless
        keeps = [row for op, row in self.by_key.values() if op == "keep"]
        cancels = [key for key, (op, _) in self.by_key.items() if op == "cancel"]
        parts: list[uow.Part] = []
        if moves:
            parts.append(uow.Rows(self.table, moves, conflict=("key",), update=UPDATED_ON_MOVE))
        if keeps:
            parts.append(uow.Rows(self.table, keeps, conflict=("key",)))
        if cancels:
            parts.append(uow.Delete(self.table, "key", cancels))
        return parts

    async def write(self, session: AsyncSession) -> None:
        return None

    def empty(self) -> bool:
        return not self.by_key and not self.keyless


def _stage(session: AsyncSession) -> TimerStage:
    table = platform_of(session).timer
    return uow.stage(session, "timers", lambda: TimerStage(table))


def schedule(
    session: AsyncSession,
    *,
    kind: str,
    due_at: dt.datetime,
    payload: dict[str, Any] | None = None,
    key: str | None = None,
    keep_existing: bool = False,
) -> None:
    """Schedule (or, with the same `key`, move) a timer in the caller's unit of work. With `keep_existing`,
    a timer already pending under the key stays as it is (e.g. a digest that is already due later)."""
    schedule_many(
        session,
        [{"kind": kind, "due_at": due_at, "payload": payload or {}, "key": key}],
        keep_existing=keep_existing,
    )


def schedule_many(session: AsyncSession, items: list[dict[str, Any]], *, keep_existing: bool = False) -> None:
    """Bulk `schedule`: dicts of kind, key, due_at, payload."""
    if not items:
        return
    if any(i["due_at"].tzinfo is None for i in items):
        raise ValueError("due_at must be timezone-aware")
    tables = platform_of(session)
    stage = _stage(session)
    correlation = current_context().correlation_id
    for i in items:
        stage.put(
            {
                "id": uuid7(),
                "kind": i["kind"],
                "key": i["key"],
                "due_at": i["due_at"],
                "payload": i.get("payload") or {},
                "correlation_id": correlation,
                "attempts": 0,
                "last_error": None,
            },
            keep_existing=keep_existing,
        )
    uow.wake_after_commit(session, tables.timer_channel, min(i["due_at"] for i in items).timestamp())


FollowUp = Callable[[async_sessionmaker[AsyncSession]], Awaitable[None]]


def then(session: AsyncSession, follow_up: FollowUp) -> None:
    """Run `follow_up` once the timer pass that fired this handler has committed (with the service's
    sessionmaker, for a unit of work of its own). For what must not happen inside a transaction: handing a
    message to a provider after its `sending` state is on disk. A pass that rolls back runs none of them; a
    process that dies first runs none either, so the handler leaves a timer that recovers the work."""
    uow.local(session, "timers.then", list).append(follow_up)


def cancel(session: AsyncSession, key: str) -> None:
    cancel_many(session, [key])


def cancel_many(session: AsyncSession, keys: list[str]) -> None:
    if keys:
        _stage(session).cancel(keys)


class TimerWorker:
    def __init__(
        self,
        *,
        service: str,
        handlers: dict[str, TimerHandler],
        sessionmaker: async_sessionmaker[AsyncSession],
        tables: PlatformTables,
        batch: int = 200,
        poll_seconds: float = 1.0,
        max_attempts: int = 5,
        notifier: Notifier | None = None,
        batch_handlers: dict[str, BatchTimerHandler] | None = None,
    ) -> None:
        self.service = service
        self.handlers = handlers
        self.batch_handlers = batch_handlers or {}
        self.sessionmaker = sessionmaker
        self.tables = tables
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.notifier = notifier
        self.fired = 0
        self.lateness: list[float] = []  # seconds between due_at and firing, recent window (for metrics)

    async def run(self, stop: asyncio.Event) -> None:
        """One cheap query (the earliest due time) per look; a pass that locks and fires only when something
        is due. New timers NOTIFY with their earliest due time, and the worker looks again only when that is
        sooner than what it waits for, or at the latest every `poll_seconds`."""
        while not stop.is_set():
            try:
                next_due = await self._next_due()
                if next_due is not None and next_due <= utcnow():
                    if await self.fire_due():
                        continue
                    next_due = utcnow() + dt.timedelta(seconds=0.1)  # held by a replica: look again soon
            except Exception as exc:
                log.warning("timers.pass_failed", service=self.service, error=repr(exc))
                await asyncio.sleep(0.5)
                continue
            if not stop.is_set():
                await self._idle(next_due)

    async def _next_due(self) -> dt.datetime | None:
        async with self.sessionmaker() as session:
            return (await session.execute(select(func.min(self.tables.timer.c.due_at)))).scalar()

    async def _idle(self, next_due: dt.datetime | None) -> None:
        """Until `next_due`, a wake-up announcing something sooner, or `poll_seconds`, whichever first."""
        now = utcnow().timestamp()
        deadline = now + self.poll_seconds
        if next_due is not None:
            deadline = min(deadline, next_due.timestamp())
        while (timeout := deadline - utcnow().timestamp()) > 0:
            if self.notifier is None:
                await asyncio.sleep(timeout)
                return
            await self.notifier.wait(self.tables.timer_channel, timeout)
            announced = self.notifier.take_due(self.tables.timer_channel)
            if announced is None:  # the timeout
                return
            if announced <= utcnow().timestamp():
                return  # due already (or a wake-up without a time): look now
            deadline = min(deadline, announced)  # known without a query: sleep until then

    async def fire_due(self) -> int:
        """Fire every due timer (in batches). Returns how many fired."""
        table = self.tables.timer
        fired = 0
        async with unit_of_work(self.sessionmaker) as session:
            rows = (
                (
                    await session.execute(
                        select(table)
                        .where(table.c.due_at <= func.now())
                        .order_by(table.c.due_at)
                        .limit(self.batch)
                        .with_for_update(skip_locked=True)
                    )
                )
                .mappings()
                .all()
            )
            failures: list[tuple[dict, BaseException]] = []
            batches: dict[str, list[dict]] = {}
            done: list[Timer] = []
            for row in rows:
                if row["kind"] in self.batch_handlers:
                    batches.setdefault(row["kind"], []).append(row)
                    continue
                timer = Timer(
                    row["id"], row["kind"], row["key"], row["due_at"], row["payload"], row["attempts"]
                )
                try:
                    async with uow.savepoint(session):
                        await self._fire(session, timer, row["correlation_id"])
                    done.append(timer)
                    fired += 1
                    self.lateness.append((utcnow() - timer.due_at).total_seconds())
                except Defer as defer:
                    await session.execute(
                        update(table).where(table.c.id == timer.id).values(due_at=utcnow() + defer.after)
                    )
                except Exception as exc:
                    failures.append((dict(row), exc))
            for kind, batch in batches.items():
                fired += await self._fire_batch(session, kind, batch, failures, done)
            await self._delete(session, done)
            for row, exc in failures:
                await self._failed(session, row, exc)
            follow_ups = list(uow.local(session, "timers.then", list))
        for follow_up in follow_ups:
            try:
                await follow_up(self.sessionmaker)
            except Exception as exc:  # its handler left a timer to recover the work
                log.warning("timers.follow_up_failed", service=self.service, error=repr(exc))
        self.fired += fired
        del self.lateness[:-1000]
        return fired

    async def _fire_batch(
        self, session: AsyncSession, kind: str, rows: list[dict], failures: list, done: list[Timer]
    ) -> int:
        """One call for every due timer of a kind (a handler that can work set-based or concurrently)."""
        batch = [Timer(r["id"], r["kind"], r["key"], r["due_at"], r["payload"], r["attempts"]) for r in rows]
        try:
            async with uow.savepoint(session):
                await self.batch_handlers[kind](session, batch)
        except Exception as exc:
            failures.extend((r, exc) for r in rows)
            return 0
        done.extend(batch)
        now = utcnow()
        self.lateness.extend((now - t.due_at).total_seconds() for t in batch)
        return len(batch)

    async def _delete(self, session: AsyncSession, fired: list[Timer]) -> None:
        """The pass's fired timers, in one statement: each is done unless its handler moved it (a retry, a
        recurring deadline: then its due time is no longer the one that fired)."""
        if fired:
            table = self.tables.timer
            await session.execute(
                text(
                    f"DELETE FROM {table.schema}.{table.name} t USING unnest(CAST(:ids AS uuid[]), "
                    "CAST(:dues AS timestamptz[])) AS x(id, due) WHERE t.id = x.id AND t.due_at = x.due"
                ),
                {"ids": [t.id for t in fired], "dues": [t.due_at for t in fired]},
            )

    async def _fire(self, session: AsyncSession, timer: Timer, correlation_id: str | None) -> None:
        handler = self.handlers.get(timer.kind)
        if handler is None:
            raise LookupError(f"no timer handler for kind {timer.kind!r}")
        token = bind_context(
            EventContext(
                correlation_id=correlation_id or str(timer.id),
                causation_id=f"timer:{timer.id}",
                actor=Actor(kind="system", id=f"timer:{timer.kind}"),
            )
        )
        try:
            with structlog.contextvars.bound_contextvars(timer_id=str(timer.id), timer_kind=timer.kind):
                await handler(session, timer)
        finally:
            reset_context(token)

    async def _failed(self, session: AsyncSession, row: dict, exc: BaseException) -> None:
        table, dl = self.tables.timer, self.tables.dead_letter
        attempts = row["attempts"] + 1
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]
        log.warning(
            "timers.fire_failed", kind=row["kind"], timer_id=str(row["id"]), attempts=attempts, error=error
        )
        if attempts >= self.max_attempts:
            await session.execute(
                insert(dl).values(
                    source="timer",
                    consumer=self.service,
                    event_id=None,
                    subject=f"timer:{row['kind']}",
                    envelope={
                        "timer_id": str(row["id"]),
                        "kind": row["kind"],
                        "key": row["key"],
                        "due_at": row["due_at"].isoformat(),
                        "payload": row["payload"],
                    },
                    error=error,
                    attempts=attempts,
                )
            )
            await session.execute(delete(table).where(table.c.id == row["id"]))
            return
        retry_at = utcnow() + dt.timedelta(seconds=min(300, 2**attempts))
        await session.execute(
            update(table)
            .where(table.c.id == row["id"])
            .values(attempts=attempts, last_error=error, due_at=retry_at)
        )

    async def lag_seconds(self) -> float:
        async with self.sessionmaker() as session:
            oldest = (
                await session.execute(
                    select(func.min(self.tables.timer.c.due_at)).where(
                        self.tables.timer.c.due_at <= func.now()
                    )
                )
            ).scalar()
        return 0.0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
