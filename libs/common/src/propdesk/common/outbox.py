"""Transactional outbox: `record()` stages the event in the caller's unit of work (written in its
transaction); the relay publishes committed events to JetStream with `Nats-Msg-Id` = event id, waits for the PubAck,
marks them published.

Ordering and replicas: rows carry a partition (crc32 of the aggregate id). A relay publishes only the
partitions whose transaction-scoped advisory lock it holds, so one relay at a time owns a partition and
publishes its rows in `seq` order; rows are also taken FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import json
import uuid
import zlib

from nats.js import JetStreamContext
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from propdesk.common import faults, uow
from propdesk.common.db import PlatformTables, platform_of
from propdesk.common.events import Actor, Envelope, EventPayload, build_envelope
from propdesk.common.ids import uuid7
from propdesk.common.logging import get_logger
from propdesk.common.notifier import Notifier
from propdesk.common.uow import unit_of_work

log = get_logger("propdesk.outbox")

PARTITIONS = 16


def partition_of(aggregate_id: str) -> int:
    return zlib.crc32(aggregate_id.encode()) % PARTITIONS


def lock_key(schema: str) -> int:
    return zlib.crc32(f"outbox:{schema}".encode()) - 2**31  # signed int4 for pg_try_advisory_xact_lock


def record(
    session: AsyncSession,
    payload: EventPayload,
    *,
    aggregate_id: uuid.UUID | str,
    estate_id: uuid.UUID | None = None,
    actor: Actor | None = None,
) -> Envelope:
    """Stage `payload` as an event of the session's unit of work: written with the unit's other writes and
    published only if it commits."""
    envelope = build_envelope(payload, aggregate_id=aggregate_id, estate_id=estate_id, actor=actor)
    _stage(
        session,
        [
            {
                "id": envelope.id,
                "event_type": envelope.type,
                "aggregate_id": envelope.aggregate_id,
                "partition": partition_of(envelope.aggregate_id),
                "envelope": envelope.model_dump(mode="json"),
            }
        ],
    )
    return envelope


def record_many(
    session: AsyncSession,
    items: list[tuple[EventPayload, uuid.UUID | str]],
    *,
    estate_id: uuid.UUID | None = None,
    actor: Actor | None = None,
) -> int:
    """Bulk form of `record` for runs, imports and batches: the envelopes share one moment and context
    (actor, estate); the payloads were validated when they were made, so each envelope is built straight as
    the JSON document `Envelope` gives instead of as a model."""
    if not items:
        return 0
    common = build_envelope(
        items[0][0], aggregate_id=items[0][1], estate_id=estate_id, actor=actor
    ).model_dump(mode="json")
    rows = []
    for payload, aggregate_id in items:
        spec, event_id, aggregate = type(payload).spec, uuid7(), str(aggregate_id)
        rows.append(
            {
                "id": event_id,
                "event_type": spec.type,
                "aggregate_id": aggregate,
                "partition": partition_of(aggregate),
                "envelope": {
                    **common,
                    "id": str(event_id),
                    "type": spec.type,
                    "version": spec.version,
                    "producer": spec.producer,
                    "aggregate_id": aggregate,
                    "payload": payload.model_dump(mode="json"),
                },
            }
        )
    _stage(session, rows)
    return len(items)


def _stage(session: AsyncSession, rows: list[dict]) -> None:
    tables = platform_of(session)
    uow.add_rows(session, tables.outbox, rows)
    uow.wake_after_commit(session, tables.outbox_channel)


async def backlog(session: AsyncSession) -> int:
    outbox = platform_of(session).outbox
    stmt = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    return (await session.execute(stmt)).scalar_one()


class Relay:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        tables: PlatformTables,
        js: JetStreamContext,
        namespace: str,
        batch: int = 500,
        poll_seconds: float = 1.0,
        notifier: Notifier | None = None,
        publish_timeout: float = 5.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.tables = tables
        self.js = js
        self.namespace = namespace
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.notifier = notifier
        self.publish_timeout = publish_timeout
        self.published_total = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                moved = await self.relay_once()
            except Exception as exc:  # NATS or DB down: keep the rows, try again
                log.warning("relay.pass_failed", schema=self.tables.schema, error=repr(exc))
                moved = 0
                await asyncio.sleep(min(self.poll_seconds, 0.5))
            if moved < self.batch and not stop.is_set():  # a partial batch: nothing more waiting now
                await self._idle()

    async def _idle(self) -> None:
        if self.notifier is not None:
            await self.notifier.wait(self.tables.outbox_channel, self.poll_seconds)
        else:
            await asyncio.sleep(self.poll_seconds)

    async def relay_once(self) -> int:
        """Publish up to one batch of committed events. Returns how many were acknowledged."""
        outbox = self.tables.outbox
        async with unit_of_work(self.sessionmaker) as session:
            owned = (
                (
                    await session.execute(
                        text(
                            "SELECT p FROM generate_series(0, :n - 1) AS p "
                            "WHERE pg_try_advisory_xact_lock(:key, p)"
                        ),
                        {"n": PARTITIONS, "key": lock_key(self.tables.schema)},
                    )
                )
                .scalars()
                .all()
            )
            if not owned:
                return 0
            rows = (
                await session.execute(
                    select(outbox.c.seq, outbox.c.id, outbox.c.event_type, outbox.c.envelope)
                    .where(outbox.c.published_at.is_(None), outbox.c.partition.in_(owned))
                    .order_by(outbox.c.seq)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            acked = await self._publish(rows)
            faults.hit("relay.after_publish")
            if acked:
                await session.execute(
                    update(outbox).where(outbox.c.seq.in_(acked)).values(published_at=func.now())
                )
        self.published_total += len(acked)
        return len(acked)

    async def _publish(self, rows: list) -> list[int]:
        """Pipeline the batch (sent in seq order on one connection); keep the acknowledged prefix."""
        sends = [
            self.js.publish(
                f"{self.namespace}.{row.event_type}",
                json.dumps(row.envelope, ensure_ascii=False).encode(),
                timeout=self.publish_timeout,
                headers={"Nats-Msg-Id": str(row.id)},
            )
            for row in rows
        ]
        results = await asyncio.gather(*sends, return_exceptions=True)
        acked: list[int] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("relay.publish_failed", event_id=str(row.id), error=repr(result))
                break
            acked.append(row.seq)
        return acked
