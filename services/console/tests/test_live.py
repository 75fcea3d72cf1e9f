"""Live updates against real JetStream: a browser's stream gets its estate's changes only, a browser that
reconnects with Last-Event-ID is sent what it missed, one away longer than the buffer is told to reload, and
every operation the console calls exists in the service's generated OpenAPI."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import nats
import pytest

from propdesk.common.auth import Principal, Role
from propdesk.common.testing.helpers import wait_until
from propdesk.console import clients
from propdesk.console.config import ConsoleSettings
from propdesk.console.live import Hub, Topic

ROOT = Path(__file__).resolve().parents[3]


def _envelope(estate: str, n: int, technician: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": "repairs.work_order.progressed",
            "version": 1,
            "occurred_at": "2026-12-03T08:00:00+00:00",
            "producer": "repairs",
            "aggregate_id": str(uuid.uuid4()),
            "estate_id": estate,
            "correlation_id": "c",
            "payload": {"reference": f"WO-202612-{n:06d}", "technician_id": technician},
        }
    ).encode()


async def _next(stream, timeout: float = 10.0) -> dict:
    return await asyncio.wait_for(anext(stream), timeout)


@pytest.fixture
async def hub(platform_env):
    nc = await nats.connect(platform_env.nats_url)
    js = nc.jetstream()
    from propdesk.common.bus import ensure_stream

    await ensure_stream(js, "repairs", namespace=platform_env.namespace)
    settings = ConsoleSettings(
        dev=True, namespace=platform_env.namespace, live_buffer=5, **platform_env.nats_credentials("console")
    )
    h = Hub(settings)
    await h.start()
    await wait_until(lambda: h.connected, timeout=10, message="the hub to listen")
    yield h, js, platform_env.namespace
    await h.stop()
    await nc.close()


def _staff(estate: str) -> Principal:
    return Principal(sub="d", roles=frozenset({Role.dispatcher}), estates=frozenset({uuid.UUID(estate)}))


async def test_a_browser_hears_its_estate_only_and_catches_up_after_a_reconnect(hub):
    h, js, ns = hub
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    stream = h.stream(_staff(mine), Topic(mine), None)
    hello = await _next(stream)
    assert hello["event"] == "hello"
    await js.publish(f"{ns}.repairs.work_order.progressed", _envelope(other, 1))
    await js.publish(f"{ns}.repairs.work_order.progressed", _envelope(mine, 2))
    change = await _next(stream)
    assert change["event"] == "change" and json.loads(change["data"])["reference"] == "WO-202612-000002"
    last_seen = change["id"]
    await stream.aclose()  # the browser goes away …
    await js.publish(f"{ns}.repairs.work_order.progressed", _envelope(mine, 3))
    await js.publish(f"{ns}.repairs.work_order.progressed", _envelope(other, 4))
    await wait_until(lambda: h.last.get("repairs", 0) >= 4, message="the hub to hear all four")
    # … and comes back with its Last-Event-ID: it is sent the one change of its estate it missed
    again = h.stream(_staff(mine), Topic(mine), last_seen)
    assert (await _next(again))["event"] == "hello"
    missed = await _next(again)
    assert json.loads(missed["data"])["reference"] == "WO-202612-000003"
    assert missed["id"] == "repairs:3"
    await again.aclose()


async def test_a_browser_away_longer_than_the_buffer_is_told_to_reload(hub):
    h, js, ns = hub
    mine = str(uuid.uuid4())
    for n in range(1, 10):  # the buffer keeps 5
        await js.publish(f"{ns}.repairs.work_order.progressed", _envelope(mine, n))
    await wait_until(lambda: h.last.get("repairs", 0) >= 9, message="the hub to hear all nine")
    stream = h.stream(_staff(mine), Topic(mine), "repairs:1")
    assert (await _next(stream))["event"] == "hello"
    assert (await _next(stream))["event"] == "reload"
    await stream.aclose()


async def test_another_estate_and_another_technician_hear_nothing(hub):
    h, js, ns = hub
    mine = str(uuid.uuid4())
    outsider = Principal(sub="x", roles=frozenset({Role.dispatcher}), estates=frozenset({uuid.uuid4()}))
    assert [e async for e in h.stream(outsider, Topic(mine), None)] == []  # not even a hello
    tech = str(uuid.uuid4())
    stream = h.stream(_staff(mine), Topic(mine, technician_id=tech), None)
    await _next(stream)
    await js.publish(f"{ns}.repairs.work_order.progressed", _envelope(mine, 1, technician=str(uuid.uuid4())))
    await js.publish(f"{ns}.repairs.work_order.progressed", _envelope(mine, 2, technician=tech))
    got = await _next(stream)
    assert json.loads(got["data"])["reference"] == "WO-202612-000002"
    await stream.aclose()


def test_every_call_the_console_makes_is_in_the_services_openapi():
    assert len(clients.OPERATIONS) > 20
    for service, method, path in sorted(clients.OPERATIONS):
        spec = json.loads((ROOT / "docs" / "openapi" / f"{service}.json").read_text())
        assert method in spec["paths"].get(path, {}), f"{service} has no {method.upper()} {path}"


def test_settings_come_from_the_environment_as_compose_and_k8s_set_them(monkeypatch):
    from propdesk.console.config import ConsoleSettings

    urls = {"intake": "http://intake:8101", "repairs": "http://repairs:8102"}
    monkeypatch.setenv("PROPDESK_DEV", "1")
    monkeypatch.setenv("PROPDESK_CONSOLE_SERVICE_URLS", json.dumps(urls))
    monkeypatch.setenv("PROPDESK_CONSOLE_PORT", "8107")
    monkeypatch.setenv("PROPDESK_REPAIRS_PORT", "9102")
    s = ConsoleSettings.for_console()
    assert (s.port, s.url("intake"), s.url("repairs")) == (8107, "http://intake:8101", "http://repairs:8102")
    assert s.url("billing") == "http://127.0.0.1:8103" and s.cookie_secure is False
    monkeypatch.delenv("PROPDESK_CONSOLE_SERVICE_URLS")
    assert (
        ConsoleSettings.for_console().url("repairs") == "http://127.0.0.1:9102"
    )  # as `propdesk up` runs them


def test_outside_dev_the_console_needs_its_own_keys_and_nats_credentials(monkeypatch):
    from pydantic import ValidationError

    from propdesk.console.config import ConsoleSettings

    monkeypatch.delenv("PROPDESK_DEV", raising=False)
    base = {"dev": False, "jwt_jwks_url": "http://identity:8106/.well-known/jwks.json"}
    with pytest.raises(ValidationError, match="SEALING_KEY"):
        ConsoleSettings(**base, nats_password="p" * 24)
    with pytest.raises(ValidationError, match="NATS_PASSWORD"):
        ConsoleSettings(**base, sealing_key="k" * 40)
    s = ConsoleSettings(**base, sealing_key="k" * 40, nats_password="p" * 24)
    assert s.cookie_secure is True  # Secure cookies outside dev
