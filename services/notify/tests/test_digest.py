"""Staff defaults (issue 19, item 4): a routine alert (an SLA warning) reaches staff in the inbox at once and by
SMS / e-mail only grouped in a digest, one message per interval; a breach is urgent: at once, on every channel."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common import outbox
from propdesk.common.contracts.intake import CaseSlaBreached, CaseSlaWarning
from propdesk.common.db import asyncpg_url
from propdesk.common.testing.helpers import token, wait_until
from propdesk.common.uow import unit_of_work

from .conftest import set_quiet


async def test_sla_alerts_reach_the_desk_as_one_digest(platform):
    p = platform
    await set_quiet(p, now_inside=False)
    eid = p["estate"]["id"]
    staff = (
        await p["intake"].post(
            f"/v1/estates/{eid}/staff",
            headers=p["manager"],
            json={
                "name": "黄芳",
                "department": "customer_service",
                "roles": ["receptionist"],
                "phone": "13700000001",
            },
        )
    ).json()
    engine = create_async_engine(asyncpg_url(p["env"].database_url))

    async def query(sql: str):
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).all()

    await wait_until(
        lambda: query(f"SELECT 1 FROM notify.recipient WHERE id = '{staff['id']}'"),
        message="notify to know the receptionist",
    )
    runtime = p["intake"].app.state.runtime  # three SLA alerts from intake, as its timers would raise them
    due = dt.datetime.now(dt.UTC)
    async with unit_of_work(runtime.sessionmaker) as session:
        for n, model in enumerate((CaseSlaWarning, CaseSlaBreached, CaseSlaWarning)):
            case = uuid.uuid4()
            outbox.record(
                session,
                model(
                    case_id=case,
                    estate_id=uuid.UUID(eid),
                    reference=f"CASE-202611-00000{n}",
                    kind="complaint",
                    category="noise",
                    milestone="first_response",
                    due_at=due,
                ),
                aggregate_id=case,
                estate_id=uuid.UUID(eid),
            )
    items = await wait_until(
        lambda: _n(query("SELECT title FROM notify.digest_item"), 2), message="2 waiting warnings"
    )
    assert {t for (t,) in items} == {"工单即将超时 CASE-202611-000000", "工单即将超时 CASE-202611-000002"}
    me = token("receptionist", estates=[uuid.UUID(eid)], sub=staff["id"])
    inbox_now = await wait_until(lambda: _n(_inbox(p, me), 3), message="three alerts in the inbox at once")
    assert len(inbox_now) == 3
    sms = await query(
        "SELECT m.event_type, d.state, d.reason FROM notify.delivery d "
        "JOIN notify.message m ON m.id = d.message_id WHERE d.channel = 'sms' ORDER BY m.event_type"
    )
    assert [tuple(row) for row in sms[1:]] == [("intake.case.sla_warning", "suppressed", "staff_routine")] * 2
    assert sms[0][0] == "intake.case.sla_breached" and sms[0][1] != "suppressed"  # the breach: SMS at once
    assert (
        len(await query("SELECT key FROM notify.timer WHERE kind = 'digest.send'")) == 1
    )  # one digest pending
    async with engine.begin() as conn:  # the digest interval passes
        await conn.execute(text("UPDATE notify.timer SET due_at = now() WHERE kind = 'digest.send'"))

    async def inbox():
        return (await p["notify"].get("/v1/me/inbox", headers=me)).json()["items"]

    async def the_digest():
        return [m for m in await inbox() if m["event_type"] == "notify.digest"]

    [digest] = await wait_until(the_digest, message="the digest")
    assert digest["title"] == "2 条提醒"
    assert "1. 工单即将超时 CASE-202611-000000" in digest["body"] and "2. " in digest["body"]
    assert await query("SELECT 1 FROM notify.digest_item WHERE digest_message_id IS NULL") == []
    await engine.dispose()


async def _n(coro, n):
    rows = await coro
    return rows if len(rows) >= n else None


async def _inbox(p, me) -> list:
    return (await p["notify"].get("/v1/me/inbox", headers=me)).json()["items"]
