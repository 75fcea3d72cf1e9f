"""Issue 8 end to end: 1,000 residents imported at the desk become recipients through intake's events;
a broadcast to all of them, with the first SMS provider down, is delivered in full through the second.
Issue 19 (item 8): notify is SIGKILLed in the middle of that broadcast, after handing messages to the provider
and before recording it; restarted, it sends again only what was `sending`, under the same idempotency keys,
and every resident's phone gets the message exactly once."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink
from propdesk.common.testing.helpers import (
    running_service,
    service_ready,
    spawn_service,
    token,
    wait_until,
)
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.notify.main import SERVICE as NOTIFY

ADMIN = token("admin", all_estates=True)
SECRET = "whsec_" + base64.b64encode(b"propdesk-e2e-provider-secret-32by").decode()
N = 1000


async def test_broadcast_to_1000_residents_with_one_provider_down_and_a_crash_mid_way(platform_env):
    down, up = HttpSink(free_port(), fail_with=503).start(), HttpSink(free_port()).start()
    providers = [
        {"name": "down", "url": down.url, "secret": SECRET},
        {"name": "up", "url": up.url, "secret": SECRET},
    ]
    engine = create_async_engine(asyncpg_url(platform_env.database_url))
    port = free_port()
    settings = {
        "sms_providers": json.dumps(providers),
        "retry_base_seconds": "0.05",
        "max_attempts": "4",
        "send_timeout_seconds": "1",  # a lease of 12 s before a hand-off is taken for lost
    }
    # the first hand-off that reaches a provider kills notify before it records the answers
    process = spawn_service(NOTIFY, platform_env, port, fault="notify.after_handoff", **settings)
    try:
        async with contextlib.AsyncExitStack() as stack:
            intake = await stack.enter_async_context(running_service(INTAKE, platform_env))
            notify = await stack.enter_async_context(
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
            )
            await wait_until(lambda: service_ready(notify), timeout=60, message="notify to start")
            estate = (
                await intake.post("/v1/estates", json={"code": "BIG", "name": "大型小区"}, headers=ADMIN)
            ).json()
            eid = estate["id"]
            units = "building,number,floor,area_m2\n" + "".join(
                f"T1,T1-{i:04d},1,90\n" for i in range(N // 2)
            )
            assert (
                await intake.post(
                    f"/v1/estates/{eid}/imports/units",
                    content=units.encode(),
                    headers={**ADMIN, "content-type": "text/csv"},
                )
            ).status_code == 201
            people = "name,phone,unit,role\n" + "".join(
                f"住户{i},1380000{i:04d},T1-{i // 2:04d},{'owner' if i % 2 == 0 else 'household_member'}\n"
                for i in range(N)
            )
            r = await intake.post(
                f"/v1/estates/{eid}/imports/residents",
                content=people.encode(),
                headers={**ADMIN, "content-type": "text/csv"},
            )
            assert r.status_code == 201 and r.json()["imported"] == N, r.text[:300]

            async def known():
                async with engine.connect() as conn:
                    return (
                        await conn.execute(
                            text("SELECT count(*) FROM notify.recipient WHERE cardinality(units) > 0")
                        )
                    ).scalar() == N

            await wait_until(known, timeout=60, message="notify to know all 1,000 residents and their units")
            manager = token("manager", estates=[uuid.UUID(eid)])
            units_list = [u for u in (await _all_units(intake, eid))]
            started = time.monotonic()
            sent = await notify.post(
                f"/v1/estates/{eid}/notices",
                headers=manager,
                json={
                    "unit_ids": units_list,
                    "title_zh": "停水通知",
                    "body_zh": "明日 9:00-12:00 停水",
                    "title_en": "Water off",
                    "body_en": "Water is off tomorrow 9:00-12:00",
                    "critical": True,
                    "category": "outage",
                },
            )
            assert sent.status_code == 201 and sent.json()["recipients"] == N, sent.text
            stored_in = time.monotonic() - started
            await wait_until(lambda: process.poll() is not None, timeout=60, message="notify to die mid-way")
            assert process.returncode == -9 and up.requests, "killed after a hand-off that reached `up`"
            process = spawn_service(NOTIFY, platform_env, port, **settings)

            async def all_sent():
                async with engine.connect() as conn:
                    return (
                        await conn.execute(
                            text(
                                "SELECT count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE state = 'failed') "
                                "FROM notify.delivery WHERE channel = 'sms'"
                            )
                        )
                    ).one()

            counts = await wait_until(lambda: _done(all_sent), timeout=120, message="all 1,000 SMS sent")
            assert counts == (N, 0)
            assert len(up.requests) == N and down.requests == []
            assert len({json.loads(r.body)["to"] for r in up.requests}) == N  # everyone, once
            # what the crash left `sending` went again under its key, and the provider dropped the repeat
            assert up.repeats and {r.headers["webhook-id"] for r in up.repeats} <= set(up.accepted)
            async with engine.connect() as conn:
                resent = (
                    await conn.execute(
                        text("SELECT count(*) FROM notify.delivery_log WHERE state = 'resending'")
                    )
                ).scalar()
            assert resent == len(up.repeats)
            async with engine.connect() as conn:
                providers_used = dict(
                    (
                        await conn.execute(
                            text(
                                "SELECT provider, count(*) FROM notify.delivery WHERE channel = 'sms' GROUP BY provider"
                            )
                        )
                    ).all()
                )
            assert providers_used == {"up": N}
            print(
                f"\n1,000 messages stored in {stored_in:.2f} s; {resent} sent again after the crash, dropped"
            )
    finally:
        process.kill()
        process.wait()
        await engine.dispose()
        down.stop()
        up.stop()


async def _done(probe):
    sent, failed = await probe()
    return (sent, failed) if sent + failed >= N else None


async def _all_units(intake, eid: str) -> list[str]:
    ids, cursor = [], None
    while True:
        params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (await intake.get(f"/v1/estates/{eid}/units", params=params, headers=ADMIN)).json()
        ids += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids
