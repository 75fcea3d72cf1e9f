"""Idempotent consumers: durable pull consumers, explicit ack, batch fetch.

A fetched batch is handled in one unit of work: each event's inbox row
(consumer, event id) and its effect commit together (the handlers' staged writes, e.g. a batch's fan-outs,
are written together just before the commit), so a redelivered event changes nothing. Acks go
out after commit. A failed event is nak'ed with backoff; after `max_deliver` attempts it is written to
the dead-letter table with its error (replayable) and terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from propdesk.common import faults, outages, uow
from propdesk.common.db import PlatformTables
from propdesk.common.errors import Conflict, NotFound
from propdesk.common.events import (
    CATALOG,
    Actor,
    Envelope,
    EventContext,
    EventPayload,
    bind_context,
    reset_context,
    stream_name,
)
from propdesk.common.logging import get_logger
from propdesk.common.uow import unit_of_work

log = get_logger("propdesk.consumer")

Handler = Callable[[AsyncSession, EventPayload, Envelope], Awaitable[None]]


class ForeignEvent(ValueError):
    """An event whose producer or type does not match the subject it arrived on."""


@dataclass
class Subscription:
    """The events of one producer that a service handles: event type -> handler."""

    producer: str
    handlers: dict[str, Handler] = field(default_factory=dict)

    def on(self, event_type: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[event_type] = fn
            return fn

        return register


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0
    redeliveries: int = 0
    failures: int = 0
    dead_lettered: int = 0
    outages: int = 0  # batches that waited for the database (no delivery spent)
    rejected: int = 0  # events whose producer does not match their subject (dead-lettered unapplied)


class _Unavailable(Exception):
    """The database could not be used for a batch: wait and retry it."""


class EventConsumer:
    def __init__(
        self,
        *,
        service: str,
        subscription: Subscription,
        sessionmaker: async_sessionmaker[AsyncSession],
        tables: PlatformTables,
        js: JetStreamContext,
        namespace: str,
        batch: int = 100,
        max_deliver: int = 5,
        backoff_seconds: float = 0.5,
        fetch_timeout: float = 1.0,
        ack_wait: float = 30.0,
    ) -> None:
        self.service = service
        self.subscription = subscription
        self.sessionmaker = sessionmaker
        self.tables = tables
        self.js = js
        self.namespace = namespace
        self.batch = batch
        self.max_deliver = max_deliver
        self.backoff_seconds = backoff_seconds
        self.fetch_timeout = fetch_timeout
        self.ack_wait = ack_wait
        self.stats = ConsumerStats()
        self._psub = None

    @property
    def stream(self) -> str:
        return stream_name(self.subscription.producer, self.namespace)

    @property
    def durable(self) -> str:
        return self.service

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=-1,  # we count deliveries ourselves and dead-letter into Postgres
            max_ack_pending=10_000,
            filter_subjects=[f"{self.namespace}.{t}" for t in sorted(self.subscription.handlers)],
        )

    async def ensure(self) -> None:
        await self.js.add_consumer(self.stream, self.config())
        self._psub = await self.js.pull_subscribe_bind(durable=self.durable, stream=self.stream)

    async def lag(self) -> int:
        try:
            info = await self.js.consumer_info(self.stream, self.durable)
        except NotFoundError:
            return 0
        return int(info.num_pending or 0) + int(info.num_ack_pending or 0)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if self._psub is None:
                    await self.ensure()
                await self.poll_once()
            except Exception as exc:
                log.warning(
                    "consumer.poll_failed", consumer=self.service, stream=self.stream, error=repr(exc)
                )
                self._psub = None
                await asyncio.sleep(0.5)

    async def poll_once(self) -> int:
        """Wait (up to fetch_timeout) for the first message, then take whatever else is already there.

        nats-py's lingering fetch(n) keeps waiting for the batch to fill until its timeout; asking for
        one message first and then for the rest without lingering keeps latency low under light load.
        """
        try:
            msgs = await self._psub.fetch(1, timeout=self.fetch_timeout)
        except (NatsTimeout, TimeoutError):  # nothing to fetch within the timeout
            return 0
        if self.batch > 1:
            with contextlib.suppress(NatsTimeout, TimeoutError):
                msgs += await self._psub.fetch(self.batch - 1, timeout=0.01)
        await self.handle_batch(msgs)
        return len(msgs)

    async def handle_batch(self, msgs: list) -> None:
        """Apply a batch; while the database is unavailable, wait and retry it, keeping the messages in
        progress: an outage spends no delivery (only a failing handler does, towards `max_deliver`)."""
        pause = 0.25
        while True:
            try:
                await self._handle_batch(msgs)
                return
            except _Unavailable as outage:
                self.stats.outages += 1
                log.warning(
                    "consumer.database_unavailable", consumer=self.service, error=repr(outage.__cause__)
                )
                for msg in msgs:
                    with contextlib.suppress(Exception):
                        await msg.in_progress()  # not redelivered meanwhile
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def _handle_batch(self, msgs: list) -> None:
        """The happy path is one transaction for the batch. If any handler fails, that transaction rolls
        back and each event is applied in a transaction of its own, so one bad event costs only itself."""
        parsed: list[tuple[object, Envelope]] = []
        failed: list[tuple[object, Envelope | None, BaseException]] = []
        for msg in msgs:
            if msg.metadata.num_delivered > 1:
                self.stats.redeliveries += 1
            try:
                parsed.append((msg, self._authentic(msg.subject, Envelope.model_validate_json(msg.data))))
            except Exception as exc:
                failed.append((msg, None, exc))  # dead-lettered at once: a retry cannot make it valid
        done: list[object] = []
        if parsed:
            try:
                async with unit_of_work(self.sessionmaker) as session:
                    await self._apply_many(session, parsed)
                    faults.hit("consumer.before_commit")
                done = [msg for msg, _ in parsed]
            except Exception as exc:
                if outages.is_unavailable(exc):
                    raise _Unavailable from exc
                log.info("consumer.batch_isolating", consumer=self.service, size=len(parsed), error=repr(exc))
                for msg, envelope in parsed:
                    try:
                        async with unit_of_work(self.sessionmaker) as session:
                            await self._apply(session, envelope, subject=msg.subject)
                        done.append(msg)
                    except Exception as one_exc:
                        if outages.is_unavailable(one_exc):
                            raise _Unavailable from one_exc  # those applied are in the inbox: not twice
                        failed.append((msg, envelope, one_exc))
        faults.hit("consumer.after_commit")
        for msg in done:
            await msg.ack()
        for msg, envelope, exc in failed:
            await self._fail(msg, envelope, exc)

    def _authentic(self, subject: str, envelope: Envelope) -> Envelope:
        """The envelope, if it says what its subject says: the subscribed producer made it (NATS lets only
        that producer publish there; this catches a message that got there some other way)."""
        producer = self.subscription.producer
        expected = f"{self.namespace}.{envelope.type}"
        if envelope.producer != producer or envelope.type.split(".", 1)[0] != producer or subject != expected:
            self.stats.rejected += 1
            log.error(
                "consumer.foreign_event",
                consumer=self.service,
                subject=subject,
                producer=envelope.producer,
                event_type=envelope.type,
            )
            raise ForeignEvent(
                f"{envelope.type} from {envelope.producer} on {subject}: not {producer}'s event"
            )
        return envelope

    async def _claim(self, session: AsyncSession, items: list[tuple[str, Envelope]]) -> set[uuid.UUID]:
        """Insert the inbox rows; return the event ids not seen before (one statement for the batch)."""
        inbox = self.tables.inbox
        result = await session.execute(
            text(  # one text whatever the batch size: prepared once per connection, not compiled per batch
                f"INSERT INTO {inbox.schema}.{inbox.name} (consumer, event_id, subject) "
                "SELECT :consumer, e, s FROM unnest(CAST(:ids AS uuid[]), CAST(:subjects AS text[])) AS x(e, s) "
                "ON CONFLICT DO NOTHING RETURNING event_id"
            ),
            {
                "consumer": self.service,
                "ids": [env.id for _, env in items],
                "subjects": [subject for subject, _ in items],
            },
        )
        return set(result.scalars().all())

    async def _apply_many(self, session: AsyncSession, parsed: list[tuple[object, Envelope]]) -> None:
        fresh = await self._claim(session, [(msg.subject, env) for msg, env in parsed])
        for _msg, envelope in parsed:
            if envelope.id in fresh:
                fresh.discard(envelope.id)  # the same event twice in one batch is applied once
                await self._handle(session, envelope)
            else:
                self.stats.duplicates += 1

    async def _apply(self, session: AsyncSession, envelope: Envelope, *, subject: str) -> bool:
        """Claim one event in the inbox and apply it; False when it was already applied."""
        if not await self._claim(session, [(subject, envelope)]):
            self.stats.duplicates += 1
            return False
        await self._handle(session, envelope)
        return True

    async def _handle(self, session: AsyncSession, envelope: Envelope) -> None:
        handler = self.subscription.handlers.get(envelope.type)
        if handler is not None:
            payload = CATALOG.parse(envelope)
            token = bind_context(
                EventContext(
                    correlation_id=envelope.correlation_id,
                    causation_id=str(envelope.id),
                    actor=Actor(kind="service", id=self.service),
                )
            )
            try:
                with structlog.contextvars.bound_contextvars(
                    correlation_id=envelope.correlation_id,
                    event_id=str(envelope.id),
                    event_type=envelope.type,
                ):
                    await handler(session, payload, envelope)
            finally:
                reset_context(token)
        self.stats.handled += 1

    async def _fail(self, msg, envelope: Envelope | None, exc: BaseException) -> None:
        attempts = msg.metadata.num_delivered
        self.stats.failures += 1
        log.warning(
            "consumer.handler_failed",
            consumer=self.service,
            subject=msg.subject,
            attempts=attempts,
            error=repr(exc),
        )
        if attempts < self.max_deliver and envelope is not None:
            await msg.nak(delay=self.backoff_seconds * 2 ** (attempts - 1))
            return
        try:
            raw = envelope.model_dump(mode="json") if envelope else {"raw": msg.data.decode(errors="replace")}
        except Exception:
            raw = {"raw": repr(msg.data)}
        async with unit_of_work(self.sessionmaker) as session:
            await session.execute(
                insert(self.tables.dead_letter).values(
                    source="consumer",
                    consumer=self.service,
                    event_id=envelope.id if envelope else None,
                    subject=msg.subject,
                    envelope=raw,
                    error="".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000],
                    attempts=attempts,
                )
            )
        self.stats.dead_lettered += 1
        await msg.term()
        log.error("consumer.dead_lettered", consumer=self.service, subject=msg.subject, attempts=attempts)


async def replay_dead_letter(
    *,
    dead_letter_id: uuid.UUID,
    consumers: list[EventConsumer],
    sessionmaker: async_sessionmaker[AsyncSession],
    tables: PlatformTables,
) -> dict:
    """Apply a dead-lettered event again, through the same inbox as live delivery (so at most once)."""
    dl = tables.dead_letter
    async with unit_of_work(sessionmaker) as session:
        row = (
            (await session.execute(select(dl).where(dl.c.id == dead_letter_id).with_for_update()))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"dead letter {dead_letter_id} not found")
        if row["replayed_at"] is not None:
            raise Conflict(f"dead letter {dead_letter_id} was already replayed")
        envelope = Envelope.model_validate(row["envelope"])
        consumer = next((c for c in consumers if envelope.type in c.subscription.handlers), None)
        if consumer is None:
            raise Conflict(f"no handler for {envelope.type} in this service")
        try:
            async with uow.savepoint(session):
                applied = await consumer._apply(session, envelope, subject=row["subject"])
        except Exception as exc:
            raise Conflict(f"replay failed again: {exc!r}") from exc
        await session.execute(
            update(dl).where(dl.c.id == dead_letter_id).values(replayed_at=dt.datetime.now(dt.UTC))
        )
    return {"id": str(dead_letter_id), "event_id": str(envelope.id), "applied": applied}


def dead_letter_row(row) -> dict:
    data = dict(row)
    data["envelope"] = json.loads(json.dumps(data["envelope"], default=str))
    return data
