"""A service's moving parts, wired once: engine, sessions, NATS, relay, consumers, timers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from nats.aio.client import Client as NATS
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import broker, bus, outbox
from propdesk.common.auth import TokenVerifier
from propdesk.common.consumer import EventConsumer, Subscription
from propdesk.common.db import create_engine, create_sessionmaker, platform_tables
from propdesk.common.logging import get_logger
from propdesk.common.notifier import Notifier
from propdesk.common.outbox import Relay
from propdesk.common.ratelimit import Limiter
from propdesk.common.settings import ServiceSettings
from propdesk.common.timers import BatchTimerHandler, TimerHandler, TimerWorker

log = get_logger("propdesk.runtime")


@dataclass
class ServiceDefinition:
    """What a service is: registered under the `propdesk.services` entry point as `SERVICE`."""

    name: str
    title: str
    description: str
    port: int
    package: str  # e.g. "propdesk.repairs": its migrations live in <package>/migrations
    metadata: MetaData
    routers: Callable[[], list[APIRouter]]
    subscriptions: list[Subscription] = field(default_factory=list)
    timer_handlers: dict[str, TimerHandler] = field(default_factory=dict)
    timer_batch_handlers: dict[str, BatchTimerHandler] = field(default_factory=dict)
    settings_cls: type[ServiceSettings] = ServiceSettings
    republish: Callable[[AsyncSession], Awaitable[int]] | None = None  # snapshot events for new consumers
    on_stop: Callable[[], Awaitable[None]] | None = None  # closes what the service opened (HTTP pools)

    @property
    def schema(self) -> str:
        return self.name

    @property
    def migrations_dir(self) -> Path:
        return Path(str(resources.files(self.package) / "migrations"))

    def settings(self, **overrides: object) -> ServiceSettings:
        return self.settings_cls.for_service(self.name, **{"port": self.port, **overrides})


@dataclass(frozen=True)
class FrontendDefinition:
    """A process that serves screens and owns no data (no schema, no streams, no migrations): registered under
    the `propdesk.frontends` entry point; `propdesk up` runs `<package>.main:create_app` after the services."""

    name: str
    title: str
    port: int
    package: str


class Runtime:
    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings) -> None:
        self.definition = definition
        self.settings = settings
        self.tables = platform_tables(definition.schema)
        # this process's commits wake its own relay and timer worker when it runs them (an API-only replica
        # leaves that to the database's NOTIFY, for the replicas that do)
        self.notifier = Notifier(
            settings.require_database_url(),
            [self.tables.outbox_channel, self.tables.timer_channel],
            coalesce_seconds=settings.wakeup_coalesce_seconds,
        )
        self.engine = create_engine(
            settings.require_database_url(),
            pool_size=settings.db_pool_size,
            app_name=f"propdesk-{definition.name}",
            local_wakeups=settings.run_workers,
        )
        self.sessionmaker = create_sessionmaker(
            self.engine, self.tables, settings, self.notifier if settings.run_workers else None
        )
        self.verifier = TokenVerifier(settings)
        self.limiter = Limiter(settings.rate_limit_per_token, settings.rate_limit_per_address)
        self.nc: NATS | None = None
        self.relay: Relay | None = None
        self.consumers: list[EventConsumer] = []
        self.timers: TimerWorker | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        s, d = self.settings, self.definition
        self.nc = await bus.connect(
            s.nats_url, name=f"propdesk-{d.name}", **broker.connect_options(s, user_default=d.name)
        )
        js = self.nc.jetstream()
        await bus.ensure_stream(js, d.name, namespace=s.namespace, replicas=s.stream_replicas)
        for sub in d.subscriptions:
            await bus.ensure_stream(js, sub.producer, namespace=s.namespace, replicas=s.stream_replicas)
        await self.notifier.start()
        self.relay = Relay(
            sessionmaker=self.sessionmaker,
            tables=self.tables,
            js=js,
            namespace=s.namespace,
            batch=s.relay_batch,
            poll_seconds=s.relay_poll_seconds,
            notifier=self.notifier,
        )
        self.consumers = [
            EventConsumer(
                service=d.name,
                subscription=sub,
                sessionmaker=self.sessionmaker,
                tables=self.tables,
                js=js,
                namespace=s.namespace,
                batch=s.consumer_batch,
                max_deliver=s.consumer_max_deliver,
                backoff_seconds=s.consumer_backoff_seconds,
            )
            for sub in d.subscriptions
        ]
        for consumer in self.consumers:
            await consumer.ensure()
        self.timers = TimerWorker(
            service=d.name,
            handlers=d.timer_handlers,
            sessionmaker=self.sessionmaker,
            tables=self.tables,
            batch=s.timer_batch,
            poll_seconds=s.timer_poll_seconds,
            max_attempts=s.timer_max_attempts,
            notifier=self.notifier,
            batch_handlers=d.timer_batch_handlers,
        )
        if s.run_workers:
            workers = [self.relay, self.timers, *self.consumers]
            self._tasks = [
                asyncio.create_task(w.run(self._stop), name=f"{d.name}-{type(w).__name__}") for w in workers
            ]
        # Everything made while starting (modules, the app, caches' shapes) lives as long as the process: keep it
        # out of the collector's generations, and collect the young generation less often, so that a full
        # collection does not stall requests under load.
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 50, 100)
        log.info("service.started", service=d.name, port=s.port, consumers=len(self.consumers))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        if self.definition.on_stop is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.definition.on_stop(), 5)
        with contextlib.suppress(Exception):
            if self.notifier is not None:
                await asyncio.wait_for(self.notifier.close(), 3)
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), 3)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.engine.dispose(), 5)
        log.info("service.stopped", service=self.definition.name)

    async def readiness(self) -> dict[str, bool]:
        checks = {"database": False, "nats": False}
        with contextlib.suppress(Exception):
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 2)
            checks["database"] = True
        checks["nats"] = bool(self.nc is not None and self.nc.is_connected)
        return checks

    async def status(self) -> dict[str, object]:
        t = self.tables
        async with self.sessionmaker() as session:
            backlog = await outbox.backlog(session)
            dead = (
                await session.execute(
                    select(func.count())
                    .select_from(t.dead_letter)
                    .where(t.dead_letter.c.replayed_at.is_(None))
                )
            ).scalar_one()
            timers = (await session.execute(select(func.count()).select_from(t.timer))).scalar_one()
        lag = 0
        per_stream: dict[str, int] = {}
        for consumer in self.consumers:
            with contextlib.suppress(Exception):
                per_stream[consumer.stream] = await consumer.lag()
                lag += per_stream[consumer.stream]
        return {
            "outbox_backlog": backlog,
            "consumer_lag": lag,
            "consumer_lag_by_stream": per_stream,
            "dead_letters": dead,
            "pending_timers": timers,
            "timer_lag_seconds": await self.timers.lag_seconds() if self.timers else 0.0,
            "redeliveries": sum(c.stats.redeliveries for c in self.consumers),
            "consumer_outages": sum(c.stats.outages for c in self.consumers),
            "events_published": self.relay.published_total if self.relay else 0,
        }
