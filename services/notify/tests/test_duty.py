"""One duty roster (issue 19, item 4): intake's roster, projected into notify, decides who an alert wakes. An
incident at night reaches the duty officer on shift and nobody else; with nobody on shift, the manager."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.testing.helpers import running_service, token, wait_until
from propdesk.incidents.main import SERVICE as INCIDENTS

from .conftest import set_quiet, start_platform


async def test_an_incident_wakes_only_the_officer_on_duty_then_the_manager(platform):
    p = platform
    await set_quiet(p, now_inside=True)  # the middle of the night: critical alerts pass quiet hours
    eid, intake = p["estate"]["id"], p["intake"]

    async def staff(name: str, role: str, phone: str) -> str:
        r = await intake.post(
            f"/v1/estates/{eid}/staff",
            headers=p["manager"],
            json={"name": name, "department": "management", "roles": [role], "phone": phone},
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]

    on_duty = await staff("值班员周强", "duty_officer", "13700000001")
    off_duty = await staff("值班员吴敏", "duty_officer", "13700000002")
    manager = await staff("经理郑华", "manager", "13700000003")
    now = dt.datetime.now(dt.UTC)
    shifts = {}
    for who, starts, hours in (
        (on_duty, now - dt.timedelta(hours=1), 9),
        (off_duty, now - dt.timedelta(hours=20), 9),
    ):
        r = await intake.post(
            f"/v1/estates/{eid}/duty-shifts",
            headers=p["manager"],
            json={
                "staff_id": who,
                "duty": "duty_officer",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + dt.timedelta(hours=hours)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        shifts[who] = r.json()["id"]
    engine = create_async_engine(asyncpg_url(p["env"].database_url))

    async def query(sql: str, **params):
        async with engine.connect() as conn:
            return (await conn.execute(text(sql), params)).all()

    async def roster(n: int):
        return len(await query("SELECT 1 FROM notify.duty_shift")) == n

    await wait_until(lambda: roster(2), message="notify to know the roster")
    duty = token("duty_officer", estates=[uuid.UUID(eid)])
    try:
        async with running_service(INCIDENTS, p["env"]) as incidents:

            async def known():
                return (await incidents.get(f"/v1/estates/{eid}/playbooks", headers=duty)).status_code == 200

            await wait_until(known, message="incidents to know the estate")

            async def alerted(playbook: str) -> set[str]:
                r = await incidents.post(
                    f"/v1/estates/{eid}/incidents",
                    headers=duty,
                    json={"playbook": playbook, "description": "夜间报警"},
                )
                assert r.status_code in (200, 201), r.text

                async def told():
                    rows = await query(
                        "SELECT recipient_id::text FROM notify.message WHERE event_type LIKE 'incidents.%' "
                        "AND context->>'incident_id' = :i",
                        i=r.json()["id"],
                    )
                    return {row[0] for row in rows} or None

                return await wait_until(told, message=f"the {playbook} alert")

            assert await alerted("fire") == {on_duty}

            async def phones():
                return [json.loads(q.body)["to"] for q in p["sinks"]["primary"].requests] or None

            # one phone woke, the officer's on duty (the alert and the first step's escalation)
            assert set(await wait_until(phones, message="the SMS")) == {"+8613700000001"}
            # the officer's shift is taken off the roster: nobody is on duty or on call, so the manager hears
            gone = await intake.delete(
                f"/v1/estates/{eid}/duty-shifts/{shifts[on_duty]}", headers=p["manager"]
            )
            assert gone.status_code == 204
            await wait_until(lambda: roster(1), message="notify to hear of the cancelled shift")
            assert await alerted("sudden_illness") == {manager}
    finally:
        await engine.dispose()


async def test_a_complaint_about_an_employee_links_its_call_and_tells_their_manager(platform):
    """Issue 19, item 10 (顾客电话投诉员工登记表): the complaint names the call it came from and the employee; the
    manager of the employee's department hears of it, the employee does not."""
    p = platform
    eid, intake = p["estate"]["id"], p["intake"]

    async def staff(name: str, department: str, role: str) -> str:
        r = await intake.post(
            f"/v1/estates/{eid}/staff",
            headers=p["manager"],
            json={"name": name, "department": department, "roles": [role]},
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]

    guard = await staff("保安李军", "security", "receptionist")
    chief = await staff("保安主管孙涛", "security", "manager")
    other = await staff("工程经理钱进", "engineering", "manager")
    call = await intake.post(
        f"/v1/estates/{eid}/calls", headers=p["desk"], json={"phone": "13500000009", "topic": "complaint"}
    )
    assert call.status_code == 201, call.text
    complaint = {
        "kind": "complaint",
        "category": "service_attitude",
        "subject": "门岗保安态度恶劣",
        "description": "业主来电：晚上进门时保安出言不逊",
        "call_id": call.json()["id"],
        "employee_id": guard,
    }
    praise = {**complaint, "kind": "praise", "category": None}
    assert (await intake.post(f"/v1/estates/{eid}/cases", headers=p["desk"], json=praise)).status_code == 422
    r = await intake.post(f"/v1/estates/{eid}/cases", headers=p["desk"], json=complaint)
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["call_id"], case["employee_id"]) == (call.json()["id"], guard)

    async def inbox(person: str, role: str) -> list:
        me = token(role, estates=[uuid.UUID(eid)], sub=person)
        return (await p["notify"].get("/v1/me/inbox", headers=me)).json()["items"]

    async def chief_told():
        return [
            m for m in await inbox(chief, "manager") if m["title"] == f"新工单 {case['reference']}"
        ] or None

    (told,) = await wait_until(chief_told, message="the security manager to hear of the complaint")
    assert "被投诉员工：保安李军" in told["body"] and told["source"]["reference"] == case["reference"]
    assert await inbox(guard, "receptionist") == [] and await inbox(other, "manager") == []


async def test_an_unacknowledged_incident_alert_wakes_the_next_in_the_chain(platform_env, sinks):
    """Issue 19, item 3, end to end: the duty officer on duty does not answer the entrapment alert through its
    whole chain; incidents escalates the step at once past the duty officer's own level, to security."""
    async with start_platform(platform_env, sinks, chain_step_seconds=0.3) as p:
        eid, intake = p["estate"]["id"], p["intake"]
        officer = (
            await intake.post(
                f"/v1/estates/{eid}/staff",
                headers=p["manager"],
                json={
                    "name": "值班员周强",
                    "department": "management",
                    "roles": ["duty_officer"],
                    "phone": "13700000001",
                },
            )
        ).json()["id"]
        guard = (
            await intake.post(
                f"/v1/estates/{eid}/staff",
                headers=p["manager"],
                json={
                    "name": "保安队长冯刚",
                    "department": "security",
                    "roles": ["receptionist"],
                    "phone": "13700000005",
                },
            )
        ).json()["id"]
        duty = token("duty_officer", estates=[uuid.UUID(eid)], sub=officer)
        async with running_service(INCIDENTS, p["env"]) as incidents:

            async def known():
                return (await incidents.get(f"/v1/estates/{eid}/playbooks", headers=duty)).status_code == 200

            await wait_until(known, message="incidents to know the estate")
            r = await incidents.post(
                f"/v1/estates/{eid}/incidents",
                headers=duty,
                json={"playbook": "elevator_entrapment", "description": "2号电梯困人"},
            )
            assert r.status_code == 201, r.text
            incident = r.json()

            async def escalated():
                got = (await incidents.get(f"/v1/incidents/{incident['id']}", headers=duty)).json()
                found = [e for e in got["timeline"] if e["data"].get("cause") == "alert_unacknowledged"]
                return found or None

            (entry,) = await wait_until(escalated, timeout=30, message="the silent alert to escalate")
            assert entry["data"]["role"] == "security" and entry["data"]["level"] == 2

            async def guard_told():
                me = token("receptionist", estates=[uuid.UUID(eid)], sub=guard)
                items = (await p["notify"].get("/v1/me/inbox", headers=me)).json()["items"]
                return [
                    m for m in items if m["critical"] and m["source"]["reference"] == incident["reference"]
                ] or None

            await wait_until(guard_told, message="security, the next in the chain, to be told")
