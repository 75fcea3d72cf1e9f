from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink, SmtpSink
from propdesk.common.testing.helpers import running_service, token, wait_until
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.notify.main import SERVICE as NOTIFY

ADMIN = token("admin", all_estates=True)
SECRET = "whsec_" + base64.b64encode(b"propdesk-test-provider-secret-32b").decode()


@pytest.fixture
def sinks():
    smtp = SmtpSink(free_port()).start()
    primary, backup = HttpSink(free_port()).start(), HttpSink(free_port()).start()
    yield {"smtp": smtp, "primary": primary, "backup": backup}
    for sink in (smtp, primary, backup):
        sink.stop()


@contextlib.asynccontextmanager
async def start_platform(platform_env, sinks, **notify_settings):
    """intake and notify running, an estate registered and known to notify."""
    providers = [
        {"name": "primary-sms", "url": sinks["primary"].url, "secret": SECRET},
        {"name": "backup-sms", "url": sinks["backup"].url, "secret": SECRET},
    ]
    settings = {
        "smtp_port": sinks["smtp"].port,
        "sms_providers": json.dumps(providers),
        "retry_base_seconds": 0.05,
        "max_attempts": 4,
        **notify_settings,
    }
    async with contextlib.AsyncExitStack() as stack:
        intake = await stack.enter_async_context(running_service(INTAKE, platform_env))
        notify = await stack.enter_async_context(running_service(NOTIFY, platform_env, **settings))
        estate = (
            await intake.post("/v1/estates", json={"code": "YMS", "name": "阳明山庄"}, headers=ADMIN)
        ).json()
        eid = uuid.UUID(estate["id"])
        manager, desk = (
            token("manager", estates=[eid], sub="mgr"),
            token("receptionist", estates=[eid], sub="desk"),
        )

        async def quiet_rows():
            r = await notify.get(f"/v1/estates/{eid}/quiet-hours", headers=manager)
            return r.status_code == 200 and r.json()

        await wait_until(quiet_rows, message="notify to provision the estate")
        yield {
            "intake": intake,
            "notify": notify,
            "estate": estate,
            "manager": manager,
            "desk": desk,
            "env": platform_env,
            "sinks": sinks,
        }


@pytest.fixture
async def platform(platform_env, sinks):
    async with start_platform(platform_env, sinks) as p:
        yield p


async def set_quiet(p, *, now_inside: bool) -> None:
    """Quiet hours around now (inside) or far from now (outside), in estate time, whatever the clock says."""
    local = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    start = local - dt.timedelta(hours=1) if now_inside else local + dt.timedelta(hours=2)
    end = local + dt.timedelta(hours=1) if now_inside else local + dt.timedelta(hours=3)
    r = await p["notify"].put(
        f"/v1/estates/{p['estate']['id']}/quiet-hours",
        headers=p["manager"],
        json={"starts": f"{start:%H:%M}", "ends": f"{end:%H:%M}"},
    )
    assert r.status_code == 200, r.text


async def resident(
    p, *, name="Li Na", phone="13912345678", language="en", email: str | None = "lina@example.com"
) -> dict:
    """A resident with a unit, registered in intake and then known to notify."""
    intake, estate = p["intake"], p["estate"]
    b = (
        await intake.post(
            f"/v1/estates/{estate['id']}/buildings",
            headers=p["manager"],
            json={"code": f"B{phone[-3:]}", "name": "楼", "floors": 9},
        )
    ).json()
    unit = (
        await intake.post(
            f"/v1/estates/{estate['id']}/units",
            headers=p["manager"],
            json={"building_id": b["id"], "number": f"U{phone[-4:]}", "floor": 1, "area_m2": "90"},
        )
    ).json()
    body = {
        "name": name,
        "phone": phone,
        "language": language,
        "occupancy": {"unit_id": unit["id"], "role": "owner"},
    }
    if email:
        body["email"] = email
    person = (await intake.post(f"/v1/estates/{estate['id']}/residents", headers=p["desk"], json=body)).json()
    engine = create_async_engine(asyncpg_url(p["env"].database_url))

    async def known():
        async with engine.connect() as conn:
            return (
                await conn.execute(
                    text("SELECT units FROM notify.recipient WHERE id = :i"), {"i": person["id"]}
                )
            ).scalar()

    await wait_until(known, message="notify to know the resident and their unit")
    await engine.dispose()
    person["unit"] = unit
    person["token"] = token(
        "resident", estates=[uuid.UUID(estate["id"])], units=[uuid.UUID(unit["id"])], sub=person["id"]
    )
    return person


async def deliveries(p, message_id: str) -> dict[str, dict]:
    rows = (await p["notify"].get(f"/v1/messages/{message_id}/deliveries", headers=p["manager"])).json()
    return {d["channel"]: d for d in rows}
