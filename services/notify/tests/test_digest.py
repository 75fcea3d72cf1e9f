"""Staff digests: SLA alerts reach staff grouped, one message per interval, instead of one each."""

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
            json={"name": "黄芳", "department": "customer_service", "roles": ["receptionist"]},
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
        lambda: _n(query("SELECT title FROM notify.digest_item"), 3), message="3 waiting alerts"
    )
    assert {t for (t,) in items} >= {"工单即将超时 CASE-202611-000000", "工单已超时 CASE-202611-000001"}
    me = token("receptionist", estates=[uuid.UUID(eid)], sub=staff["id"])
    assert (await p["notify"].get("/v1/me/inbox", headers=me)).json()["items"] == []  # nothing one by one
    assert (
        len(await query("SELECT key FROM notify.timer WHERE kind = 'digest.send'")) == 1
    )  # one digest pending
    async with engine.begin() as conn:  # the digest interval passes
        await conn.execute(text("UPDATE notify.timer SET due_at = now() WHERE kind = 'digest.send'"))

    async def inbox():
        return (await p["notify"].get("/v1/me/inbox", headers=me)).json()["items"]

    [digest] = await wait_until(inbox, message="the digest")
    assert digest["title"] == "3 条提醒" and digest["event_type"] == "notify.digest"
    assert "1. 工单即将超时 CASE-202611-000000" in digest["body"] and "3. " in digest["body"]
    assert await query("SELECT 1 FROM notify.digest_item WHERE digest_message_id IS NULL") == []
    await engine.dispose()


async def _n(coro, n):
    rows = await coro
    return rows if len(rows) >= n else None
