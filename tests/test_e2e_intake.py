"""Issue 3 end to end, observed on the bus: what other services would receive from JetStream.

(a) A resident's complaint misses its first-response target, escalates to the supervisor, is resolved and
    confirmed by the resident.
(b) A desk call reports a leak: intake.repair.requested carries everything repairs needs; when repairs
    answers with repairs.work_order.created, the desk's request links to the work order.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.testing import scenes
from propdesk.common.testing.helpers import bus_events, running_service, token, wait_until
from propdesk.common.testing.timetravel import backdate
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.repairs.main import SERVICE as REPAIRS

ADMIN = token("admin", all_estates=True)


async def setup(intake) -> dict:
    return await scenes.household(intake)


async def test_complaint_escalates_on_missed_first_response_then_is_confirmed(platform_env):
    async with running_service(INTAKE, platform_env) as intake:
        s = await setup(intake)
        case = (
            await intake.post(
                f"/v1/estates/{s['estate']['id']}/cases",
                headers=s["me"],
                json={
                    "kind": "complaint",
                    "channel": "app",
                    "category": "cleanliness",
                    "unit_id": s["unit"]["id"],
                    "subject": "楼道垃圾三天未清",
                    "description": "A3栋二楼楼道",
                },
            )
        ).json()
        await intake.post(
            f"/v1/cases/{case['id']}/actions", json={"action": "acknowledge"}, headers=s["desk"]
        )
        engine = create_async_engine(asyncpg_url(platform_env.database_url))
        await backdate(
            engine,
            schema="intake",
            table="case",
            row_id=case["id"],
            timer_key_prefix=f"case:{case['id']}:",
            by=dt.timedelta(hours=24, minutes=5),
        )
        await engine.dispose()

        async def escalated():
            return [e for e in await bus_events(platform_env, "intake.case.escalated")]

        [escalation] = await wait_until(escalated, timeout=20, message="the escalation on the bus")
        assert (escalation["payload"]["to"], escalation["payload"]["level"]) == ("supervisor", 1)
        assert escalation["payload"]["reference"] == case["reference"]
        await intake.post(
            f"/v1/cases/{case['id']}/actions",
            headers=s["desk"],
            json={"action": "resolve", "note": "已安排保洁清理并加强巡查"},
        )
        closed = await intake.post(
            f"/v1/cases/{case['id']}/actions", json={"action": "confirm"}, headers=s["me"]
        )
        assert closed.json()["state"] == "closed"

        async def closed_on_bus():
            return await bus_events(platform_env, "intake.case.closed")

        await wait_until(closed_on_bus, message="case.closed on the bus")
        story = [e["type"] for e in await bus_events(platform_env, "intake.case.>")]
        assert story == [
            "intake.case.opened",
            "intake.case.sla_warning",
            "intake.case.sla_breached",
            "intake.case.escalated",
            "intake.case.resolved",
            "intake.case.closed",
        ]
        breached = (await bus_events(platform_env, "intake.case.sla_breached"))[0]
        assert breached["payload"]["milestone"] == "first_response"
        assert breached["correlation_id"] == escalation["correlation_id"]  # one timer firing caused both


async def test_desk_call_reporting_a_leak_reaches_repairs_and_links_back(platform_env):
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(REPAIRS, platform_env) as repairs,
    ):
        s = await setup(intake)
        call = (
            await intake.post(
                f"/v1/estates/{s['estate']['id']}/calls",
                headers=s["desk"],
                json={"phone": "136 1234 5678", "topic": "repair", "duration_seconds": 120},
            )
        ).json()
        request = (
            await intake.post(
                f"/v1/calls/{call['id']}/repair-request",
                headers=s["desk"],
                json={
                    "unit_id": s["unit"]["id"],
                    "category": "plumbing",
                    "urgency": "urgent",
                    "description": "卫生间天花板渗水,疑似楼上水管漏水",
                    "photos": ["photo://2026/11/29/leak-1.jpg"],
                },
            )
        ).json()

        async def requested():
            return await bus_events(platform_env, "intake.repair.requested")

        [event] = await wait_until(requested, message="the repair request on the bus")
        p = event["payload"]
        assert (p["request_id"], p["estate_id"], p["unit_id"], p["building_id"]) == (
            request["id"],
            s["estate"]["id"],
            s["unit"]["id"],
            s["building"]["id"],
        )
        assert (p["category"], p["urgency"], p["source"], p["source_id"]) == (
            "plumbing",
            "urgent",
            "call",
            call["id"],
        )
        assert p["reporter"] == {
            "resident_id": s["resident"]["id"],
            "name": "陈静",
            "phone": "+8613612345678",
            "language": "zh-CN",
        }
        assert p["photos"] == ["photo://2026/11/29/leak-1.jpg"] and "渗水" in p["description"]
        assert event["estate_id"] == s["estate"]["id"] and event["actor"]["id"] == "desk-7"

        runtime = repairs.app.state.runtime  # repairs opens the order for the request and announces it

        async def opened():
            async with runtime.sessionmaker() as session:
                return (
                    await session.execute(
                        text("SELECT reference FROM repairs.work_order WHERE request_id = :r"),
                        {"r": request["id"]},
                    )
                ).scalar()

        reference = await wait_until(opened, message="repairs to open the request's work order")
        assert reference.startswith("WO-")

        async def linked():
            r = (await intake.get(f"/v1/repair-requests/{request['id']}", headers=s["desk"])).json()
            return r if r["work_order_reference"] else None

        done = await wait_until(linked, message="intake to link the work order")
        assert done["work_order_reference"] == reference
