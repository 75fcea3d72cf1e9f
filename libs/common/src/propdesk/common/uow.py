"""The unit of work: the one place a transaction commits, and everything that transaction will write and do.

A unit of work is an `AsyncSession` (made by `db.create_sessionmaker`) carrying a `Work`:

- **staged writes.** Services change rows through the session as usual, or stage set-based writes here:
  new ORM objects and plain rows (`add`, `add_rows`: hot paths that build a handful of rows in memory),
  the outbox's events (`outbox.record`), timers (`timers.schedule`/`cancel`), and a service's own set-based
  writer (`stage`: notify's fan-out). `flush()` writes them: the session's own changes first, then every
  staged row in ONE statement (data-modifying CTEs over JSON documents, foreign keys checked at the statement's
  end), then the writers. The session's `commit()` flushes first, so nothing staged is ever
  lost or written outside the transaction; a savepoint flushes what its block staged before it is released;
  a service calls `flush()` itself only when a query of its own must see what it staged.
- **hooks.** `after_commit` is where in-memory state changes: caches, counters, wake-ups of this process's
  relay and timer worker. `after_rollback` gives back what was taken (a number from a block). A rolled-back
  savepoint drops the hooks and staged writes of its block and restores the locals.
- **locals.** Per-unit-of-work state (a cache's staged entries, dispatch's load adjustments): `local()`.

`unit_of_work(sessionmaker)` is the context manager requests, consumers and timers use: commit on success,
roll back on any exception. Services and repositories never commit.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import asyncpg
import orjson
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import make_transient_to_detached

from propdesk.common.logging import get_logger

log = get_logger("propdesk.uow")

T = TypeVar("T")


# ---------------------------------------------------------------- what a flush writes


@dataclass
class Rows:
    """New rows of one table for the flush's one statement. Rows name the columns they set (the others take
    the table's defaults). With `conflict` (the conflict target's columns) a row that exists is updated from
    the new one (`update`'s columns) or, with no `update`, left as it is."""

    table: Table
    rows: list[dict]
    conflict: tuple[str, ...] = ()
    update: tuple[str, ...] = ()


@dataclass
class Delete:
    """Rows of one table whose `column` is one of `values`, deleted in the flush's one statement."""

    table: Table
    column: str
    values: list
    sql_type: str = "text"


Part = Rows | Delete


class Stage(Protocol):
    """Writes a service collects during a unit of work (registered with `stage()`)."""

    def parts(self) -> list[Part]:
        """Rows and deletes for the flush's one statement."""
        ...

    async def write(self, session: AsyncSession) -> None:
        """Statements of its own, after that one."""
        ...

    def empty(self) -> bool: ...


class NewRows:
    """New ORM objects (`add`) and plain rows (`add_rows`), in the order they were staged."""

    def __init__(self) -> None:
        self.objects: list = []
        self.rows: list[Rows] = []

    def parts(self) -> list[Part]:
        """One part per table (and conflict rule), its rows in the order they were staged: the parts of one
        statement run in no set order, but the rows of one part go in as listed."""
        merged: dict[tuple, Rows] = {}
        for obj in self.objects:
            table = type(obj).__table__
            merged.setdefault((table, (), ()), Rows(table, [])).rows.append(_object_row(obj))
        for part in self.rows:
            key = (part.table, part.conflict, part.update)
            merged.setdefault(key, Rows(part.table, [], part.conflict, part.update)).rows.extend(part.rows)
        return list(merged.values())

    async def write(self, session: AsyncSession) -> None:
        """The objects are written (by the flush's statement): from now on the session tracks them as any
        object it loaded, so a later change to one is written as an UPDATE."""
        work = work_of(session)
        for obj in self.objects:
            make_transient_to_detached(obj)
            session.add(obj)
            work.added.append(obj)

    def empty(self) -> bool:
        return not self.objects and not self.rows


# ---------------------------------------------------------------- the work of one unit


@dataclass
class _Mark:
    commit_hooks: int
    rollback_hooks: int
    locals: dict
    wakes: dict
    added: int


@dataclass
class Work:
    stages: dict[str, Stage] = field(default_factory=dict)  # in the order they were first used
    commit_hooks: list[Callable[[], None]] = field(default_factory=list)
    rollback_hooks: list[Callable[[], None]] = field(default_factory=list)
    locals: dict[str, Any] = field(default_factory=dict)
    wakes: dict[str, float] = field(default_factory=dict)  # channel -> earliest due (epoch seconds)
    added: list = field(default_factory=list)  # objects staged with `add` and written by an earlier flush

    def mark(self) -> _Mark:
        return _Mark(
            len(self.commit_hooks),
            len(self.rollback_hooks),
            {k: copy.copy(v) for k, v in self.locals.items()},
            dict(self.wakes),
            len(self.added),
        )

    def back_to(self, mark: _Mark) -> None:
        """A savepoint rolled back: its block's staged writes, hooks and local changes are undone."""
        for hook in reversed(self.rollback_hooks[mark.rollback_hooks :]):
            _run(hook, "rollback")
        del self.rollback_hooks[mark.rollback_hooks :]
        del self.commit_hooks[mark.commit_hooks :]
        self.locals, self.wakes = mark.locals, mark.wakes
        del self.added[mark.added :]
        self.stages.clear()  # the savepoint flushed everything before its block

    def committed(self, notifier: Any) -> None:
        hooks, self.commit_hooks, self.rollback_hooks = self.commit_hooks, [], []
        for hook in hooks:
            _run(hook, "commit")
        wakes, self.wakes = self.wakes, {}
        if notifier is not None:
            for channel, due in wakes.items():
                notifier.poke(channel, due)
        self.locals.clear()
        self.added.clear()

    def rolled_back(self) -> None:
        hooks, self.commit_hooks, self.rollback_hooks = self.rollback_hooks, [], []
        for hook in reversed(hooks):
            _run(hook, "rollback")
        self.stages.clear()
        self.locals.clear()
        self.wakes.clear()
        self.added.clear()


def _run(hook: Callable[[], None], when: str) -> None:
    try:
        hook()
    except Exception as exc:  # in-memory bookkeeping must never fail what the database already decided
        log.error(
            "uow.hook_failed", when=when, hook=getattr(hook, "__qualname__", repr(hook)), error=repr(exc)
        )


class UnitOfWorkSession(AsyncSession):
    """An AsyncSession whose commit writes what was staged first and runs the after-commit hooks after, and
    whose rollback runs the after-rollback hooks: whoever commits it, nothing staged is lost."""

    @property
    def work(self) -> Work:
        work = self.info.get("uow")
        if work is None:
            work = self.info["uow"] = Work()
        return work

    async def commit(self) -> None:
        await flush(self)
        await super().commit()
        self.work.committed(self.info.get("notifier"))

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self.work.rolled_back()

    async def close(self) -> None:
        work = self.info.get("uow")
        if work is not None and (work.stages or work.rollback_hooks):
            work.rolled_back()  # closed without a commit: whatever was staged did not happen
        await super().close()


def work_of(session: AsyncSession) -> Work:
    if not isinstance(session, UnitOfWorkSession):
        raise RuntimeError("session was not made by db.create_sessionmaker(): it has no unit of work")
    return session.work


# ---------------------------------------------------------------- the API services use


def add(session: AsyncSession, *objects: Any) -> None:
    """Stage new ORM objects: written by the next flush, in its one statement, instead of the session's own
    INSERTs. The objects leave the session (if they were in it) and stay readable: every column gets its value
    now (the object's, else the column's Python default, else None), so a response shows what will be written;
    changes made to them before the flush are written too."""
    stage = _new_rows(session)
    for obj in objects:
        if obj in session:
            session.expunge(obj)
        _fill_defaults(obj)
        stage.objects.append(obj)


def add_rows(
    session: AsyncSession,
    table: Table,
    rows: list[dict],
    *,
    conflict: tuple[str, ...] = (),
    update: tuple[str, ...] = (),
) -> None:
    """Stage plain rows of a table (they name only the columns they set)."""
    if rows:
        _new_rows(session).rows.append(Rows(table, rows, conflict, update))


def added(session: AsyncSession, cls: type[T]) -> list[T]:
    """The ORM objects of a class this unit of work added with `add` (written by a flush or still staged), in
    the order added: a response of the request that made them shows them without reading them back."""
    work = work_of(session)
    stage = work.stages.get("rows")
    return [o for o in [*work.added, *(stage.objects if stage else ())] if isinstance(o, cls)]


def stage(session: AsyncSession, name: str, factory: Callable[[], T]) -> T:
    """This unit of work's stage `name` (made by `factory` on first use): a service's own set-based writer."""
    stages = work_of(session).stages
    found = stages.get(name)
    if found is None:
        found = stages[name] = factory()
    return found  # type: ignore[return-value]


def local(
    session: AsyncSession,
    name: str,
    factory: Callable[[], T],
    *,
    on_commit: Callable[[T], None] | None = None,
) -> T:
    """Per-unit-of-work state, copied (`copy.copy`) when a savepoint starts and restored if it rolls back.
    `on_commit` is given the state as it is when the unit commits (where in-memory state is updated)."""
    work = work_of(session)
    found = work.locals.get(name)
    if found is None:
        found = work.locals[name] = factory()
        if on_commit is not None:
            work.commit_hooks.append(lambda: on_commit(work.locals[name]) if name in work.locals else None)
    return found


def after_commit(session: AsyncSession, hook: Callable[[], None]) -> None:
    work_of(session).commit_hooks.append(hook)


def after_rollback(session: AsyncSession, hook: Callable[[], None]) -> None:
    work_of(session).rollback_hooks.append(hook)


def wake_after_commit(session: AsyncSession, channel: str, due: float = -math.inf) -> None:
    """Once this unit of work commits, wake this process's worker listening on `channel` (the relay on the
    outbox channel; the timer worker on the timer channel, with the earliest new due time as epoch seconds).
    The database's NOTIFY does the same for writes from other processes."""
    wakes = work_of(session).wakes
    wakes[channel] = min(wakes.get(channel, math.inf), due)


async def flush(session: AsyncSession) -> None:
    """Write now, inside the transaction, what the session holds and everything staged."""
    await session.flush()
    work = work_of(session)
    while work.stages:  # a writer may stage more (rarely): write until nothing is left
        stages = [s for s in work.stages.values() if not s.empty()]
        work.stages.clear()
        parts = [p for s in stages for p in s.parts()]
        if parts:
            await _write_parts(session, parts)
        for s in stages:
            await s.write(session)


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A nested transaction that also undoes its block's staged writes, hooks and locals when it rolls back.
    What was staged before it is written first (outside it); what its block staged is written inside it."""
    await flush(session)
    work = work_of(session)
    mark = work.mark()
    try:
        async with session.begin_nested():
            yield session
            await flush(session)
    except BaseException:
        work.back_to(mark)
        raise


@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Commit on success (writing what was staged first), roll back on any exception."""
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        try:
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# ---------------------------------------------------------------- the one statement


def _new_rows(session: AsyncSession) -> NewRows:
    return stage(session, "rows", NewRows)


def _fill_defaults(obj: Any) -> None:
    for column in type(obj).__table__.columns:
        if column.key not in obj.__dict__:
            default = column.default
            value = None
            if default is not None:
                value = default.arg(None) if default.is_callable else default.arg
            setattr(obj, column.key, value)


def _object_row(obj: Any) -> dict:
    state = obj.__dict__
    return {column.name: state.get(column.key) for column in type(obj).__table__.columns}


def _qualified(table: Table) -> str:
    return f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'


async def _write_parts(session: AsyncSession, parts: list[Part]) -> None:
    """Every part as a data-modifying CTE of one statement. Each table's rows travel as one JSON document
    (`jsonb_populate_record` per element, in the order staged), so the text depends only on the tables and
    column sets written (prepared once per connection), and foreign keys are checked at the end of the
    statement, when every row is in."""
    documents: list[str | list] = []
    ctes: list[str] = []
    for part in parts:
        if isinstance(part, Delete):
            documents.append(part.values)
            ctes.append(
                f'DELETE FROM {_qualified(part.table)} WHERE "{part.column}" = ANY(${len(documents)}::{part.sql_type}[])'
            )
            continue
        groups: dict[tuple[str, ...], list[dict]] = {}
        for row in part.rows:  # a column one row names and another does not would be NULL, not its default
            groups.setdefault(tuple(row), []).append(row)
        for columns, rows in groups.items():
            documents.append(orjson.dumps(rows, default=_json_value, option=orjson.OPT_NAIVE_UTC).decode())
            names = ", ".join(f'"{c}"' for c in columns)
            values = ", ".join(f'r."{c}"' for c in columns)
            table = _qualified(part.table)
            sql = (  # in the order staged (identity columns such as the outbox's seq follow it)
                f"INSERT INTO {table} ({names}) SELECT {values} "
                f"FROM jsonb_array_elements(${len(documents)}::jsonb) WITH ORDINALITY AS e(doc, n) "
                f"CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, e.doc) AS r ORDER BY e.n"
            )
            if part.conflict:
                target = ", ".join(f'"{c}"' for c in part.conflict)
                if part.update:
                    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in part.update)
                    sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
                else:
                    sql += f" ON CONFLICT ({target}) DO NOTHING"
            ctes.append(sql)
    statement = "WITH " + ",\n".join(f"w{n} AS ({c})" for n, c in enumerate(ctes, 1)) + " SELECT 1"
    driver = await driver_connection(session)
    try:
        await driver.execute(statement, *documents)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(statement, None, exc) from exc
    except asyncpg.PostgresError as exc:
        raise DBAPIError(statement, None, exc) from exc


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, inside the session's transaction (begun here if no statement has
    begun it yet: SQLAlchemy's asyncpg adapter begins lazily, and a statement sent before that would commit
    on its own). Only the flush talks to asyncpg directly."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    adapted = raw.dbapi_connection
    if (
        getattr(adapted, "_transaction", None) is None
        and getattr(adapted, "isolation_level", None) != "autocommit"
    ):
        await adapted._start_transaction()
    return raw.driver_connection


def _json_value(value: Any) -> Any:
    """JSON for the values ORM columns hold that orjson does not write itself (it writes UUIDs, dates and
    times; naive times as UTC, as asyncpg reads them): text PostgreSQL casts back to the column's type."""
    if isinstance(value, (Decimal, uuid.UUID)):  # asyncpg's own UUID type too (a subclass orjson leaves)
        return str(value)
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
