"""Issue 5 end to end, observed on the bus (what intake, billing, notify and incidents receive):

a resident reports a leak → it is dispatched automatically → the technician arrives late (the breach
event) → completes with parts → the charge event → intake creates the follow-up; the resident scores it 1
→ intake's dissatisfied event → repairs reopens the order and dispatches it again; an elevator entrapment
report produces the emergency event incidents opens an incident from.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.testing import scenes
from propdesk.common.testing.helpers import bus_events, running_service, wait_until
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.repairs.main import SERVICE as REPAIRS


async def on_bus(env, subject: str, predicate=lambda p: True) -> dict:
    async def found():
        hits = [e["payload"] for e in await bus_events(env, subject, settle=0.2) if predicate(e["payload"])]
        return hits or None

    return (await wait_until(found, message=f"{subject} on the bus"))[-1]


async def test_leak_to_breach_to_charge_to_follow_up_to_reopen_and_an_entrapment(platform_env):
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(REPAIRS, platform_env) as repairs,
    ):
        s = await scenes.household(intake, building="C1", unit_number="C1-0801", floor=8)
        eid = s["estate"]["id"]
        place = (
            await intake.post(
                f"/v1/estates/{eid}/places",
                headers=s["manager"],
                json={
                    "building_id": s["building"]["id"],
                    "kind": "elevator",
                    "code": "C1-L2",
                    "name": "2号电梯",
                    "floor": 1,
                },
            )
        ).json()
        crew = await scenes.repair_crew(intake, repairs, s)

        r = await repairs.post(
            f"/v1/estates/{eid}/work-orders",
            headers=s["me"],
            json={
                "unit_id": s["unit"]["id"],
                "category": "plumbing",
                "problem": "leak",
                "description": "卫生间天花板滴水",
            },
        )
        assert r.status_code == 201, r.text
        wo = r.json()
        assigned = await on_bus(platform_env, "repairs.work_order.assigned")
        assert (assigned["work_order_id"], assigned["technician_id"]) == (wo["id"], crew["plumber"]["id"])
        assert assigned["reporter_ids"] == [s["resident"]["id"]]

        tech = crew["plumber"]["token"]
        await repairs.post(f"/v1/work-orders/{wo['id']}/actions", headers=tech, json={"action": "accept"})
        # the technician is late: the on-site target runs out (time moved, the real timer worker fires)
        engine = create_async_engine(asyncpg_url(platform_env.database_url))
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE repairs.work_order SET clocks = jsonb_set(clocks, '{arrive,remaining}', '0') WHERE id = :id"
                ),
                {"id": uuid.UUID(wo["id"])},
            )
            await conn.execute(
                text(
                    "UPDATE repairs.timer SET due_at = now(), payload = jsonb_set(payload, '{point}', '\"breach\"') WHERE key = :k"
                ),
                {"k": f"wo:{wo['id']}:arrive"},
            )
        await engine.dispose()
        breach = await on_bus(platform_env, "repairs.work_order.sla_breached")
        assert (breach["work_order_id"], breach["milestone"]) == (wo["id"], "arrive")

        for action in ({"action": "en_route"}, {"action": "arrive"}):
            assert (
                await repairs.post(f"/v1/work-orders/{wo['id']}/actions", headers=tech, json=action)
            ).status_code == 200
        await repairs.post(
            f"/v1/work-orders/{wo['id']}/parts", headers=tech, json={"code": "SEAL-01", "quantity": "2"}
        )
        done = await repairs.post(
            f"/v1/work-orders/{wo['id']}/actions",
            headers=tech,
            json={"action": "complete", "note": "更换楼上卫生间密封圈", "labour_minutes": 30},
        )
        assert done.status_code == 200, done.text
        charge = await on_bus(platform_env, "repairs.charge.raised")
        assert (charge["work_order_id"], charge["unit_id"], charge["total_fen"]) == (
            wo["id"],
            s["unit"]["id"],
            2 * 500 + 4000,
        )

        async def follow_up():
            items = (await intake.get(f"/v1/estates/{eid}/follow-ups", headers=s["me"])).json()["items"]
            return items or None

        (f,) = await wait_until(follow_up, message="intake's follow-up for the completed order")
        assert (f["source_kind"], f["source_id"], f["source_reference"]) == (
            "work_order",
            wo["id"],
            wo["reference"],
        )
        r = await intake.post(
            f"/v1/follow-ups/{f['id']}/answer", headers=s["me"], json={"score": 1, "comment": "还在滴"}
        )
        assert r.status_code == 200, r.text

        async def reopened():
            got = (await repairs.get(f"/v1/work-orders/{wo['id']}", headers=s["dispatcher"])).json()
            return got if got["reopen_count"] == 1 and got["state"] == "assigned" else None

        got = await wait_until(reopened, message="repairs to reopen and dispatch again")
        assert [e["kind"] for e in got["timeline"]][-2:] == ["reopen", "assign"]
        stage = await on_bus(
            platform_env, "repairs.work_order.progressed", lambda p: p["stage"] == "reopened"
        )
        assert stage["work_order_id"] == wo["id"]

        r = await repairs.post(  # the desk takes the call
            f"/v1/estates/{eid}/work-orders",
            headers=s["desk"],
            json={
                "place_id": place["id"],
                "category": "elevator",
                "problem": "entrapment",
                "description": "2号电梯困人，一名老人",
                "reporter_phone": "13900001111",
            },
        )
        assert r.status_code == 201, r.text
        emergency = await on_bus(platform_env, "repairs.emergency.reported")
        assert (emergency["kind"], emergency["place_id"], emergency["building_id"]) == (
            "elevator_entrapment",
            place["id"],
            s["building"]["id"],
        )
        assert r.json()["technician_id"] == crew["lift"]["id"]
