"""NATS with a user per service (broker.py): nobody without credentials, no service publishing another's
events or deleting streams; and a consumer that refuses an event whose producer does not match its subject."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import nats
import pytest
from nats.errors import NoServersError
from nats.js.errors import APIError, NotFoundError
from sqlalchemy import text

from propdesk.common import bus
from propdesk.common.broker import PLATFORM_USER, Users, inbox_prefix, with_credentials
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.embedded import EmbeddedNats, free_port
from propdesk.common.events import Envelope, stream_name
from propdesk.common.testing.helpers import wait_until
from propdesk.common.testing.probe import Probe

NS = "secure"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """A NATS of this module's own, configured as `propdesk up` configures the embedded one."""
    users = Users.generate()
    server = EmbeddedNats(tmp_path_factory.mktemp("nats"), port=free_port(), sync_always=False, users=users)
    server.start()
    yield server, users
    server.stop()


async def connect(server, users: Users | None, user: str | None, **kw):
    url = server.url if user is None else with_credentials(server.url, user, users.passwords[user])
    options = {"inbox_prefix": inbox_prefix(user)} if user not in (None, PLATFORM_USER) else {}
    return await nats.connect(
        url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False, **options, **kw
    )


def forged(event_type: str = "intake.resident.updated", producer: str = "intake") -> bytes:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "version": 1,
            "occurred_at": "2026-12-03T00:00:00Z",
            "producer": producer,
            "aggregate_id": "x",
            "correlation_id": "forged",
            "payload": {"name": "攻击者", "phone": "+8613900000000"},
        }
    ).encode()


async def stored(js, producer: str) -> int:
    return (await js.stream_info(stream_name(producer, NS))).state.messages


async def test_no_credentials_no_connection(secured):
    server, users = secured
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await connect(server, users, None)
    wrong = Users({**users.passwords, "notify": "guessed"})
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await connect(server, wrong, "notify")


async def test_a_service_publishes_only_its_own_events(secured):
    server, users = secured
    admin = await connect(server, users, PLATFORM_USER)
    errors: list[Exception] = []

    async def on_error(exc: Exception) -> None:
        errors.append(exc)

    notify = await connect(server, users, "notify", error_cb=on_error)
    intake = await connect(server, users, "intake")
    try:
        ajs = admin.jetstream()
        await bus.ensure_all_streams(ajs, namespace=NS)
        before = await stored(ajs, "intake")
        # notify forging intake's event: refused by the server, nothing stored
        await notify.publish(f"{NS}.intake.resident.updated", forged())
        await notify.flush()
        with pytest.raises((nats.errors.TimeoutError, APIError, NotFoundError)):
            await notify.jetstream().publish(f"{NS}.intake.resident.updated", forged(), timeout=1)
        await wait_until(lambda: errors or None, message="the permissions violation")
        assert "permissions violation" in str(errors[0]).lower()
        assert await stored(ajs, "intake") == before
        # intake's own: stored
        ack = await intake.jetstream().publish(f"{NS}.intake.resident.updated", forged(), timeout=5)
        assert ack.stream == stream_name("intake", NS)
        assert await stored(ajs, "intake") == before + 1
        # and notify can still publish its own
        await notify.jetstream().publish(f"{NS}.notify.message.sent", forged("notify.message.sent", "notify"))
        # no service may delete or purge a stream, its own or another's
        quick = notify.jetstream(timeout=0.5)  # a refused request is never answered: it times out
        for victim in ("intake", "notify"):
            with pytest.raises((nats.errors.TimeoutError, APIError)):
                await quick.delete_stream(stream_name(victim, NS))
            with pytest.raises((nats.errors.TimeoutError, APIError)):
                await quick.purge_stream(stream_name(victim, NS))
        assert await stored(ajs, "intake") == before + 1
        # nor listen in on another service's subjects or replies
        errors.clear()
        await notify.subscribe(f"{NS}.intake.>")
        await notify.subscribe(f"{inbox_prefix('intake')}.>")
        await notify.flush()
        await wait_until(lambda: len(errors) >= 2 or None, message="both refused")
    finally:
        for nc in (admin, notify, intake):
            with contextlib.suppress(Exception):
                await nc.close()


async def test_a_consumer_refuses_an_event_its_subject_does_not_vouch_for(platform_env):
    """Whatever reaches a producer's subject (the platform user can publish anywhere), a consumer applies only
    events that producer made: another producer's envelope, or a type of another service, is dead-lettered."""
    probe = Probe(platform_env.database_url, platform_env.nats_url, platform_env.namespace)
    await probe.install()
    nc, js = await probe.js()
    consumer = probe.consumer(js)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        subject = f"{platform_env.namespace}.{EstateRegistered.spec.type}"
        good = Envelope(
            id=uuid.uuid4(),
            type=EstateRegistered.spec.type,
            version=EstateRegistered.spec.version,
            occurred_at="2026-12-03T00:00:00Z",
            producer="intake",
            aggregate_id="a",
            correlation_id="c",
            payload={"estate_id": str(uuid.uuid4()), "code": "OK", "name": "probe"},
        )
        other_producer = good.model_copy(update={"id": uuid.uuid4(), "producer": "billing"})
        for envelope in (other_producer, good):
            await js.publish(subject, envelope.model_dump_json().encode())

        async def applied():
            rows, _ = await probe.effects()
            return rows or None

        await wait_until(applied, message="the genuine event applied")

        async def dead() -> list:
            async with probe.sessionmaker() as s:
                rows = (await s.execute(text("SELECT event_id, error FROM probe.dead_letter"))).all()
            return rows or None

        [(event_id, error)] = await wait_until(dead, message="the forged one dead-lettered")
        assert event_id is None and "not intake's event" in error
        assert await probe.effects() == (1, 1)  # only the genuine one changed anything
        assert consumer.stats.rejected == 1
    finally:
        stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await nc.close()
        await probe.close()
