"""A minimal producer/consumer pair on the real backbone, for the backbone's own tests and benchmark.

Schema `probe` holds the platform tables and an `effect` table; the consumer's effect is one row per
handled event, so a duplicate effect is visible as a second row with the same event id.
Run as a process: `python -m propdesk.common.testing.probe relay|consumer` (env: PROBE_DATABASE_URL,
PROBE_NATS_URL, PROBE_NAMESPACE, optional PROPDESK_FAULT) to be killed mid-flight by a test.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from propdesk.common import bus, outbox
from propdesk.common.consumer import EventConsumer, Subscription
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.db import PlatformTables, create_engine, create_sessionmaker, platform_tables
from propdesk.common.events import Envelope
from propdesk.common.migrations import install_platform_v1, install_platform_v2, install_platform_v3
from propdesk.common.uow import unit_of_work

SCHEMA = "probe"
POISON = "POISON"


@dataclass
class Probe:
    database_url: str
    nats_url: str
    namespace: str
    engine: AsyncEngine = field(init=False)
    sessionmaker: async_sessionmaker[AsyncSession] = field(init=False)
    tables: PlatformTables = field(init=False)
    poison_fixed: bool = False

    def __post_init__(self) -> None:
        self.tables = platform_tables(SCHEMA)
        self.engine = create_engine(self.database_url, pool_size=10, app_name="probe")
        self.sessionmaker = create_sessionmaker(self.engine, self.tables)

    async def install(self) -> None:
        async with self.engine.begin() as conn:
            exists = (await conn.execute(text("SELECT to_regclass('probe.effect')"))).scalar()
            if exists:
                return
            await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
            await conn.run_sync(
                lambda c: (
                    install_platform_v1(c, SCHEMA),
                    install_platform_v2(c, SCHEMA),
                    install_platform_v3(c, SCHEMA),
                )
            )
            await conn.execute(
                text(
                    "CREATE TABLE probe.effect (n bigserial PRIMARY KEY, event_id uuid NOT NULL, "
                    "aggregate_id text NOT NULL, code text NOT NULL, "
                    "occurred_at timestamptz NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"
                )
            )

    async def record(
        self, count: int = 1, *, aggregate: str | None = None, code: str = "E"
    ) -> list[uuid.UUID]:
        ids = []
        async with unit_of_work(self.sessionmaker) as session:
            for i in range(count):
                estate = uuid.uuid4()
                env = outbox.record(
                    session,
                    EstateRegistered(estate_id=estate, code=f"{code}{i}", name="probe"),
                    aggregate_id=aggregate or estate,
                )
                ids.append(env.id)
        return ids

    async def handle(self, session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
        if event.code.startswith(POISON) and not self.poison_fixed:
            raise ValueError(f"cannot handle {event.code}")
        await session.execute(
            text(
                "INSERT INTO probe.effect (event_id, aggregate_id, code, occurred_at) VALUES (:e, :a, :c, :o)"
            ),
            {"e": envelope.id, "a": envelope.aggregate_id, "c": event.code, "o": envelope.occurred_at},
        )

    def subscription(self) -> Subscription:
        return Subscription(producer="intake", handlers={EstateRegistered.spec.type: self.handle})

    async def js(self):
        nc = await bus.connect(self.nats_url, name="probe")
        js = nc.jetstream()
        await bus.ensure_stream(js, "intake", namespace=self.namespace)
        return nc, js

    def relay(self, js, **kw) -> outbox.Relay:
        return outbox.Relay(
            sessionmaker=self.sessionmaker,
            tables=self.tables,
            js=js,
            namespace=self.namespace,
            poll_seconds=kw.pop("poll_seconds", 0.1),
            **kw,
        )

    def consumer(self, js, **kw) -> EventConsumer:
        return EventConsumer(
            service="probe",
            subscription=self.subscription(),
            sessionmaker=self.sessionmaker,
            tables=self.tables,
            js=js,
            namespace=self.namespace,
            backoff_seconds=kw.pop("backoff_seconds", 0.05),
            ack_wait=kw.pop("ack_wait", 2.0),
            fetch_timeout=kw.pop("fetch_timeout", 0.2),
            **kw,
        )

    async def effects(self) -> tuple[int, int]:
        """(rows, distinct event ids) in the effect table."""
        async with self.sessionmaker() as s:
            row = (await s.execute(text("SELECT count(*), count(DISTINCT event_id) FROM probe.effect"))).one()
        return int(row[0]), int(row[1])

    async def unpublished(self) -> int:
        async with self.sessionmaker() as s:
            return (
                await s.execute(text("SELECT count(*) FROM probe.outbox WHERE published_at IS NULL"))
            ).scalar()

    async def close(self) -> None:
        await self.engine.dispose()


async def _main(role: str) -> None:
    probe = Probe(
        os.environ["PROBE_DATABASE_URL"], os.environ["PROBE_NATS_URL"], os.environ["PROBE_NAMESPACE"]
    )
    nc, js = await probe.js()
    stop = asyncio.Event()
    if role == "relay":
        await probe.relay(js).run(stop)
    else:
        consumer = probe.consumer(js)
        await consumer.ensure()
        await consumer.run(stop)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1]))
