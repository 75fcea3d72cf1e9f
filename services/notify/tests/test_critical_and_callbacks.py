"""Critical messages fall back push → SMS → voice until acknowledged, and the result goes back as an event;
provider callbacks update deliveries, and bad or unknown callbacks are refused."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks.webhooks import Webhook

from propdesk.common.db import asyncpg_url
from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink
from propdesk.common.testing.helpers import wait_until

from .conftest import SECRET, deliveries, resident, set_quiet, start_platform
from .test_notify import inbox_of, notice


@pytest.fixture
async def chain(platform_env, sinks):
    push, voice = HttpSink(free_port()).start(), HttpSink(free_port()).start()
    providers = {
        "push_providers": json.dumps([{"name": "push", "url": push.url, "secret": SECRET}]),
        "voice_providers": json.dumps([{"name": "voice", "url": voice.url, "secret": SECRET}]),
    }
    async with start_platform(platform_env, sinks, chain_step_seconds=0.5, **providers) as p:
        p["sinks"] |= {"push": push, "voice": voice}
        yield p
    push.stop()
    voice.stop()


async def outbox_events(p, event_type: str) -> list[dict]:
    engine = create_async_engine(asyncpg_url(p["env"].database_url))
    async with engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    text("SELECT envelope FROM notify.outbox WHERE event_type = :t"), {"t": event_type}
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    return [r["payload"] for r in rows]


class TestCriticalChain:
    async def test_unacknowledged_goes_push_then_sms_then_voice_and_reports(self, chain):
        p = chain
        await set_quiet(p, now_inside=True)  # critical messages pass quiet hours anyway
        li = await resident(p)
        await notice(
            p, units=[li["unit"]["id"]], critical=True, category="safety", title_en="Fire on floor 12"
        )
        [message] = await wait_until(lambda: inbox_of(p, li), message="the critical message")
        report = await wait_until(
            lambda: outbox_events(p, "notify.critical.unacknowledged"), timeout=20, message="the chain to end"
        )
        assert (
            report[0]["channels_tried"] == ["push", "sms", "voice"]
            and report[0]["message_id"] == message["id"]
        )
        d = await deliveries(p, message["id"])
        assert {c: d[c]["state"] for c in ("push", "sms", "voice")} == {
            "push": "sent",
            "sms": "sent",
            "voice": "sent",
        }
        assert [len(p["sinks"][s].requests) for s in ("push", "primary", "voice")] == [1, 1, 1]
        assert "Fire on floor 12" in p["sinks"]["voice"].requests[0].json()["text"]

    async def test_acknowledgement_stops_the_chain(self, chain):
        p = chain
        await set_quiet(p, now_inside=False)
        li = await resident(p)
        await notice(p, units=[li["unit"]["id"]], critical=True, category="safety")
        [message] = await wait_until(lambda: inbox_of(p, li), message="the critical message")
        ack = await p["notify"].post(f"/v1/me/inbox/{message['id']}/acknowledge", headers=li["token"])
        assert ack.status_code == 200 and ack.json()["acknowledged_at"]
        [acknowledged] = await wait_until(
            lambda: outbox_events(p, "notify.critical.acknowledged"), message="ack event"
        )
        assert acknowledged["channels_tried"] == ["push"]
        # who, and what about: the service that raised the alert acts on it (incidents: timeline, escalation)
        assert acknowledged["recipient_name"] == "Li Na" and acknowledged["source_event_type"]
        d = await deliveries(p, message["id"])
        assert "sms" not in d and "voice" not in d  # the chain stopped at its first step
        assert await outbox_events(p, "notify.critical.unacknowledged") == []
        other = await resident(p, name="Zhou", phone="13600000000")
        assert (
            await p["notify"].post(f"/v1/me/inbox/{message['id']}/acknowledge", headers=other["token"])
        ).status_code == 404


def signed(body: dict, secret: str = SECRET) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    now = dt.datetime.now(dt.UTC)
    msg_id = f"cb_{uuid.uuid4().hex}"
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, raw.decode()),
        "content-type": "application/json",
    }
    return raw, headers


class TestProviderCallbacks:
    async def test_delivered_and_bounced_update_the_delivery(self, platform):
        p = platform
        await set_quiet(p, now_inside=False)
        li = await resident(p)
        await notice(p, units=[li["unit"]["id"]])
        [message] = await wait_until(lambda: inbox_of(p, li), message="the notice")

        async def sent():
            sms = (await deliveries(p, message["id"]))["sms"]
            return sms if sms["state"] == "sent" else None

        sms = await wait_until(sent, message="the sms")
        # another provider cannot touch this provider's delivery
        raw, headers = signed({"reference": sms["provider_ref"], "status": "failed"})
        hijack = await p["notify"].post("/v1/providers/backup-sms/callbacks", content=raw, headers=headers)
        assert hijack.status_code == 404, hijack.text
        assert (await deliveries(p, message["id"]))["sms"]["state"] == "sent"
        raw, headers = signed({"reference": sms["provider_ref"], "status": "delivered"})
        r = await p["notify"].post("/v1/providers/primary-sms/callbacks", content=raw, headers=headers)
        assert r.status_code == 200 and r.json()["state"] == "delivered"
        again = await p["notify"].post("/v1/providers/primary-sms/callbacks", content=raw, headers=headers)
        assert again.json()["state"] == "delivered"  # repeated callback: no change
        log = (await p["notify"].get(f"/v1/recipients/{li['id']}/deliveries", headers=p["manager"])).json()[
            "items"
        ]
        assert {d["channel"]: d["state"] for d in log}["sms"] == "delivered"

    async def test_bad_callbacks_are_refused(self, platform):
        p = platform
        raw, headers = signed({"reference": "nope", "status": "delivered"})
        unknown = await p["notify"].post("/v1/providers/primary-sms/callbacks", content=raw, headers=headers)
        assert unknown.status_code == 404 and unknown.json()["type"].endswith("/unknown-message")
        forged_raw, forged = signed(
            {"reference": "nope", "status": "delivered"},
            secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
        )
        bad = await p["notify"].post(
            "/v1/providers/primary-sms/callbacks", content=forged_raw, headers=forged
        )
        assert bad.status_code == 401 and bad.json()["type"].endswith("/bad-signature")
        unsigned = await p["notify"].post(
            "/v1/providers/primary-sms/callbacks", content=raw, headers={"content-type": "application/json"}
        )
        assert unsigned.status_code == 401
        assert (
            await p["notify"].post("/v1/providers/nobody/callbacks", content=raw, headers=headers)
        ).status_code == 404
        bad_status_raw, bad_status = signed({"reference": "x", "status": "exploded"})
        assert (
            await p["notify"].post(
                "/v1/providers/primary-sms/callbacks", content=bad_status_raw, headers=bad_status
            )
        ).status_code == 422
