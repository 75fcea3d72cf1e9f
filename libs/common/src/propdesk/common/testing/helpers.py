"""Test helpers: run a service in-process against the test servers, wait on conditions, mint tokens."""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import uvicorn

from propdesk.common.auth import issue_token
from propdesk.common.broker import Users, without_credentials
from propdesk.common.runtime import ServiceDefinition
from propdesk.common.settings import DEV_JWT_SECRET
from propdesk.common.web import create_service_app

T = TypeVar("T")


@dataclass(frozen=True)
class PlatformEnv:
    """One test's slice of the real servers: its own database and its own NATS namespace."""

    database_url: str
    nats_url: str  # with the platform user's credentials when NATS has users (direct clients in tests)
    namespace: str
    nats_users: Users | None = None

    def nats_credentials(self, service: str) -> dict[str, Any]:
        """A service's own NATS user (as `propdesk up` gives it), when NATS has users."""
        if self.nats_users is None or service not in self.nats_users.passwords:
            return {"nats_url": self.nats_url}
        return {
            "nats_url": without_credentials(self.nats_url),
            "nats_user": service,
            "nats_password": self.nats_users.passwords[service],
        }

    def settings(self, definition: ServiceDefinition, **overrides: Any):
        return definition.settings_cls.for_service(
            definition.name,
            **{
                "dev": True,
                "database_url": self.database_url,
                **self.nats_credentials(definition.name),
                "namespace": self.namespace,
                "relay_poll_seconds": 0.2,
                "timer_poll_seconds": 0.2,
                "consumer_backoff_seconds": 0.05,
                "port": definition.port,
                **overrides,
            },
        )


async def wait_until(
    probe: Callable[[], Awaitable[T] | T],
    *,
    timeout: float = 15.0,
    interval: float = 0.05,
    message: str = "condition",
) -> T:
    """Poll `probe` (a coroutine function, or a plain one reading state other tasks change) until it returns
    something truthy; fail after `timeout` seconds. No fixed sleeps."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last  # type: ignore[return-value]
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}; last value: {last!r}")


def wait_until_sync(
    probe: Callable[[], T], *, timeout: float = 15.0, interval: float = 0.2, message: str = "condition"
) -> T:
    """`wait_until` for synchronous tests (a platform driven through subprocesses and blocking HTTP)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}; last value: {last!r}")


def token(
    roles: list[str] | str,
    *,
    estates: list[uuid.UUID] = (),
    units: list[uuid.UUID] = (),
    sub: str | None = None,
    all_estates: bool = False,
    name: str | None = None,
) -> dict[str, str]:
    roles = [roles] if isinstance(roles, str) else roles
    jwt = issue_token(
        DEV_JWT_SECRET,
        sub=sub or f"test-{roles[0]}",
        roles=roles,
        estates=estates,
        units=units,
        all_estates=all_estates,
        name=name,
    )
    return {"Authorization": f"Bearer {jwt}"}


@asynccontextmanager
async def running_service(
    definition: ServiceDefinition, env: PlatformEnv, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """Start the service's whole lifespan (DB, NATS, relay, consumers, timers) and give an HTTP client."""
    app = create_service_app(definition, env.settings(definition, **overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{definition.name}") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def spawn_service(
    definition: ServiceDefinition, env: PlatformEnv, port: int, *, fault: str | None = None, **settings: str
) -> subprocess.Popen:
    """Run the service as a process of its own (uvicorn, workers included) against the test's servers: for
    tests that kill it (`fault`: a `propdesk.common.faults` point where it SIGKILLs itself). `settings` are
    the service's own (`PROPDESK_<SERVICE>_<NAME>`)."""
    variables = {
        **{k: v for k, v in os.environ.items() if k != "PROPDESK_FAULT"},
        "PROPDESK_DEV": "1",
        "PROPDESK_DATABASE_URL": env.database_url,
        "PROPDESK_NATS_URL": env.nats_url,
        "PROPDESK_NAMESPACE": env.namespace,
        "PROPDESK_TIMER_POLL_SECONDS": "0.2",
        "PROPDESK_RELAY_POLL_SECONDS": "0.2",
        **{f"PROPDESK_{definition.name.upper()}_{k.upper()}": v for k, v in settings.items()},
        **({"PROPDESK_FAULT": fault} if fault else {}),
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", f"{definition.package}.main:create_app"]
    return subprocess.Popen([*command, "--port", str(port), "--log-level", "warning"], env=variables)


async def service_ready(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


async def emit(producer: httpx.AsyncClient, payload, *, aggregate_id=None) -> None:
    """Record an event in a running service's outbox (a client from `running_service`): it travels through
    that service's relay and JetStream exactly as the service's own code would send it."""
    from propdesk.common import outbox
    from propdesk.common.uow import unit_of_work

    async with unit_of_work(producer.app.state.runtime.sessionmaker) as session:  # type: ignore[attr-defined]
        outbox.record(
            session,
            payload,
            aggregate_id=aggregate_id or uuid.uuid4(),
            estate_id=getattr(payload, "estate_id", None),
        )


async def bus_events(env: PlatformEnv, subject_tail: str, *, settle: float = 0.5) -> list[dict]:
    """Every event published so far on <namespace>.<subject_tail>, read back from JetStream."""
    import contextlib
    import json

    import nats

    nc = await nats.connect(env.nats_url)
    try:
        sub = await nc.jetstream().subscribe(f"{env.namespace}.{subject_tail}", ordered_consumer=True)
        found = []
        with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
            while True:
                found.append(json.loads((await sub.next_msg(timeout=settle)).data))
        return found
    finally:
        await nc.close()


async def outbox_events(db, schema: str, event_type: str) -> list[dict]:
    """The payloads of the events a service recorded in its outbox, in order (with the `db` fixture)."""
    rows = await db(f"SELECT envelope FROM {schema}.outbox WHERE event_type = :t ORDER BY seq", t=event_type)
    return [r[0]["payload"] for r in rows]


async def make_timers_due(db, schema: str, key_prefix: str) -> None:
    """Make a service's durable timers due now instead of waiting for them; the real timer worker fires them."""
    await db(
        f"UPDATE {schema}.timer SET due_at = now() - interval '1 second' WHERE key LIKE :k",
        k=key_prefix + "%",
    )


def signed(secret: str, body: bytes | str, *, msg_id: str | None = None, at=None) -> dict[str, str]:
    """Standard Webhooks headers for a body, as a real sender would sign it (`at`: the timestamp)."""
    import datetime as dt

    from standardwebhooks.webhooks import Webhook

    text = body.decode() if isinstance(body, bytes) else body
    at = at or dt.datetime.now(dt.UTC)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, text),
        "content-type": "application/json",
    }


@contextmanager
def served(app, port: int) -> Iterator[str]:
    """`app` on 127.0.0.1:`port` (uvicorn, its own thread and event loop, the app's lifespan run) until the
    block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the service on port {port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
