"""Issue 7 end to end with intake, repairs, incidents and notify running: an elevator entrapment reported in
repairs → the incident, its steps with the 30-minute rescue deadline → a late step escalates → a broadcast
to that building → residents' replies tallied → the report PDF, whose times match the timeline."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import uuid

from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink
from propdesk.common.testing import scenes
from propdesk.common.testing.helpers import bus_events, running_service, signed, token, wait_until
from propdesk.incidents.main import SERVICE as INCIDENTS
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.notify.main import SERVICE as NOTIFY
from propdesk.repairs.main import SERVICE as REPAIRS

SECRET = "whsec_" + base64.b64encode(b"propdesk-e2e-sms-gateway-secret!").decode()


def local(moment: str) -> str:
    """How the report prints a time (Asia/Shanghai), without the space (see below)."""
    return (dt.datetime.fromisoformat(moment) + dt.timedelta(hours=8)).strftime("%Y-%m-%d%H:%M:%S")


async def test_entrapment_to_escalation_to_broadcast_to_tally_to_report(platform_env):
    gateway = HttpSink(free_port()).start()
    providers = json.dumps([{"name": "gateway", "url": gateway.url, "secret": SECRET}])
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(REPAIRS, platform_env) as repairs,
        running_service(INCIDENTS, platform_env) as incidents,
        running_service(NOTIFY, platform_env, sms_providers=providers) as notify,
    ):
        s = await scenes.household(intake, building="C1", unit_number="C1-0801", floor=8)
        eid = s["estate"]["id"]
        duty_staff = (
            await intake.post(
                f"/v1/estates/{eid}/staff",
                headers=s["manager"],
                json={"name": "周值班", "department": "security", "roles": ["duty_officer"]},
            )
        ).json()
        duty = token("duty_officer", estates=[uuid.UUID(eid)], sub=duty_staff["id"])
        lift = (
            await intake.post(
                f"/v1/estates/{eid}/places",
                headers=s["manager"],
                json={
                    "building_id": s["building"]["id"],
                    "kind": "elevator",
                    "code": "C1-L1",
                    "name": "1号电梯",
                    "floor": 1,
                },
            )
        ).json()
        await scenes.repair_crew(intake, repairs, s)

        r = await repairs.post(
            f"/v1/estates/{eid}/work-orders",
            headers=s["me"],
            json={
                "place_id": lift["id"],
                "category": "elevator",
                "problem": "entrapment",
                "description": "1号电梯困在 5 楼，里面有老人",
            },
        )
        assert r.status_code == 201, r.text

        async def opened():
            items = (await incidents.get(f"/v1/estates/{eid}/incidents", headers=duty)).json()["items"]
            return items or None

        (summary,) = await wait_until(opened, message="the incident from repairs' report")
        incident = (await incidents.get(f"/v1/incidents/{summary['id']}", headers=duty)).json()
        assert (incident["playbook_key"], incident["source"], incident["building_id"]) == (
            "elevator_entrapment",
            "event",
            s["building"]["id"],
        )
        rescue = next(x for x in incident["steps"] if x["key"] == "rescuers_on_site")
        assert dt.datetime.fromisoformat(rescue["due_at"]) - dt.datetime.fromisoformat(
            incident["triggered_at"]
        ) == dt.timedelta(minutes=30)

        async def duty_told():
            items = (await notify.get("/v1/me/inbox", headers=duty)).json()["items"]
            return [m for m in items if m["critical"]] or None

        await wait_until(duty_told, message="the duty officer's critical alert")

        # the contractor is not called within 5 minutes: time moves on and the step escalates
        engine = create_async_engine(asyncpg_url(platform_env.database_url))
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE incidents.incident_step SET due_at = now() - interval '1 minute' WHERE incident_id = :i AND key = 'call_contractor'"
                ),
                {"i": uuid.UUID(incident["id"])},
            )
            await conn.execute(
                text("UPDATE incidents.timer SET due_at = now() WHERE key = :k"),
                {"k": f"inc:{incident['id']}:call_contractor"},
            )
        await engine.dispose()

        async def escalated():
            found = [
                e["payload"] for e in await bus_events(platform_env, "incidents.step.escalated", settle=0.2)
            ]
            return found or None

        (escalation,) = await wait_until(escalated, message="the escalation on the bus")
        assert (escalation["step"], escalation["level"], escalation["staff_role"]) == (
            "call_contractor",
            1,
            "duty_officer",
        )
        url = f"/v1/incidents/{incident['id']}"
        await incidents.post(url + "/actions", headers=duty, json={"action": "acknowledge"})
        await incidents.post(
            url + "/steps/call_contractor", headers=duty, json={"action": "complete", "note": "已通知奥的斯"}
        )

        r = await incidents.post(
            url + "/broadcasts", headers=duty, json={"key": "out_of_service", "ask_reply": True}
        )
        assert r.status_code == 201, r.text

        async def resident_told():
            items = (await notify.get("/v1/me/inbox", headers=s["me"])).json()["items"]
            return [m for m in items if "电梯" in m["title"]] or None

        heard = await wait_until(resident_told, message="the building's residents to be told")
        # the message says which incident it is about, and the resident finds it among theirs (issue 19, item 9)
        told = next(m for m in heard if (m["source"] or {}).get("kind") == "incident")
        assert told["source"]["id"] == incident["id"] and told["source"]["reference"] == incident["reference"]
        mine = (await incidents.get("/v1/me/incidents", headers=s["me"])).json()
        assert [(m["id"], m["ask_reply"]) for m in mine] == [(incident["id"], True)]
        assert (await incidents.get("/v1/me/incidents", headers=duty)).status_code == 403
        r = await incidents.post(
            url + "/replies", headers=s["me"], json={"unit_id": s["unit"]["id"], "status": "safe"}
        )
        assert r.status_code == 200, r.text
        tally = (await incidents.get(url + "/tally", headers=duty)).json()
        assert tally["total"] == {"units": 1, "safe": 1, "need_help": 0, "no_answer": 0}

        # the SMS says which incident and how to answer; "2" through the gateway's inbound callback counts
        async def texted():
            texts = [json.loads(q.body)["text"] for q in gateway.requests]
            return [t for t in texts if "请回复：1 平安，2 需要帮助" in t] or None

        (sms,) = await wait_until(texted, message="the broadcast's SMS")
        assert incident["reference"] in sms
        body = json.dumps({"from": "+8613612345678", "text": "2"})
        r = await notify.post("/v1/providers/gateway/inbound", content=body, headers=signed(SECRET, body))
        assert r.json() == {
            "understood": True,
            "matched": True,
            "status": "need_help",
            "reference": incident["reference"],
        }

        async def helped():
            found = (await incidents.get(url + "/tally", headers=duty)).json()["total"]
            return found if found["need_help"] == 1 else None

        assert await wait_until(helped, message="the SMS reply in the tally") == {
            "units": 1,
            "safe": 0,
            "need_help": 1,
            "no_answer": 0,
        }

        await incidents.post(
            url + "/steps/rescuers_on_site", headers=duty, json={"action": "complete", "note": "维保到场"}
        )
        await incidents.post(url + "/actions", headers=duty, json={"action": "resolve"})

        async def all_clear():  # the residents who were warned hear that it is over (issue 19, item 2)
            items = (await notify.get("/v1/me/inbox", headers=s["me"])).json()["items"]
            return [m for m in items if m["title"].startswith("【解除】")] or None

        (cleared,) = await wait_until(all_clear, message="the all-clear to reach the resident")
        assert "恢复正常" in cleared["body"] and incident["reference"] in cleared["body"]
        assert cleared["source"] == {
            "kind": "incident",
            "id": incident["id"],
            "reference": incident["reference"],
        }
        final = (await incidents.get(url, headers=duty)).json()
        pdf = await incidents.get(url + "/report.pdf", headers=duty)
        # table cells wrap inside the PDF: compare without whitespace
        report = re.sub(
            r"\s", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        )
        for moment in (final["triggered_at"], final["acknowledged_at"], final["resolved_at"]):
            assert local(moment) in report
        for step in final["steps"]:
            assert local(step["due_at"]) in report
            if step["done_at"]:
                assert local(step["done_at"]) in report
        for entry in final["timeline"]:
            assert local(entry["at"]) in report, entry["kind"]
    gateway.stop()


async def test_an_entrapment_phoned_in_to_the_desk_opens_a_work_order_and_an_incident(platform_env):
    """Issue 19, item 1: the receptionist's classification (elevator, entrapment) travels with the desk's
    repair request, so the phone call opens the work order *and* the emergency incident with its 30-minute
    rescue deadline, exactly as a resident's report from the app does."""
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(REPAIRS, platform_env) as repairs,
        running_service(INCIDENTS, platform_env) as incidents,
    ):
        s = await scenes.household(intake, building="C1", unit_number="C1-0801", floor=8)
        eid = s["estate"]["id"]
        lift = (
            await intake.post(
                f"/v1/estates/{eid}/places",
                headers=s["manager"],
                json={
                    "building_id": s["building"]["id"],
                    "kind": "elevator",
                    "code": "C1-L2",
                    "name": "2号电梯",
                },
            )
        ).json()
        await scenes.repair_crew(intake, repairs, s)
        bad = await intake.post(
            f"/v1/estates/{eid}/repair-requests",
            headers=s["desk"],
            json={
                "place_id": lift["id"],
                "category": "plumbing",
                "problem": "entrapment",
                "description": "x",
            },
        )
        assert bad.status_code == 422  # an entrapment is not a plumbing problem
        r = await intake.post(
            f"/v1/estates/{eid}/repair-requests",
            headers=s["desk"],
            json={
                "place_id": lift["id"],
                "category": "elevator",
                "problem": "entrapment",
                "description": "来电：2号电梯困在 12 楼，一人",
                "reporter_name": "陈静",
                "reporter_phone": "13612345678",
            },
        )
        assert r.status_code == 201, r.text
        assert (r.json()["problem"], r.json()["urgency"]) == ("entrapment", "emergency")
        duty = token("duty_officer", estates=[uuid.UUID(eid)])

        async def opened():
            items = (await incidents.get(f"/v1/estates/{eid}/incidents", headers=duty)).json()["items"]
            return items or None

        (summary,) = await wait_until(opened, message="the incident from the desk's call")
        incident = (await incidents.get(f"/v1/incidents/{summary['id']}", headers=duty)).json()
        assert (incident["playbook_key"], incident["building_id"]) == (
            "elevator_entrapment",
            s["building"]["id"],
        )
        rescue = next(x for x in incident["steps"] if x["key"] == "rescuers_on_site")
        assert dt.datetime.fromisoformat(rescue["due_at"]) - dt.datetime.fromisoformat(
            incident["triggered_at"]
        ) == dt.timedelta(minutes=30)

        async def ordered():
            got = (await intake.get(f"/v1/repair-requests/{r.json()['id']}", headers=s["desk"])).json()
            return got["work_order_reference"]

        assert (await wait_until(ordered, message="the work order")).startswith("WO-")


async def test_a_repair_step_opens_a_work_order_and_completes_with_it(platform_env):
    """Issue 19, item 2: the water-outage playbook's "restore the supply" step asks repairs for a work order
    located at the incident's building; the technician's completion completes the step; a second incident
    cancelled before anyone started cancels its order in repairs."""
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(REPAIRS, platform_env) as repairs,
        running_service(INCIDENTS, platform_env) as incidents,
    ):
        s = await scenes.household(intake, building="C1", unit_number="C1-0801", floor=8)
        eid = s["estate"]["id"]
        crew = await scenes.repair_crew(intake, repairs, s)
        duty = token("duty_officer", estates=[uuid.UUID(eid)])

        async def known():
            return (await incidents.get(f"/v1/estates/{eid}/playbooks", headers=duty)).status_code == 200

        await wait_until(known, message="incidents to know the estate")

        async def outage() -> dict:
            r = await incidents.post(
                f"/v1/estates/{eid}/incidents",
                headers=duty,
                json={
                    "playbook": "water_outage",
                    "description": "C1 栋停水",
                    "building_id": s["building"]["id"],
                },
            )
            assert r.status_code == 201, r.text
            return r.json()

        async def step_order(incident_id: str):
            got = (await incidents.get(f"/v1/incidents/{incident_id}", headers=duty)).json()
            step = next(x for x in got["steps"] if x["key"] == "restore_supply")
            return step if step["work_order_reference"] else None

        incident = await outage()
        step = await wait_until(lambda: step_order(incident["id"]), message="the step's work order")
        wo = (await repairs.get(f"/v1/work-orders/{step['work_order_id']}", headers=s["dispatcher"])).json()
        assert (wo["source"], wo["building_id"], wo["category"], wo["urgency"]) == (
            "incident",
            s["building"]["id"],
            "plumbing",
            "emergency",
        )
        assert incident["reference"] in wo["description"] and wo["technician_id"] == crew["plumber"]["id"]
        tech = token("technician", estates=[uuid.UUID(eid)], sub=wo["technician_id"])
        for action, extra in (
            ("accept", {}),
            ("en_route", {}),
            ("arrive", {}),
            ("complete", {"note": "更换水泵控制器，供水恢复", "labour_minutes": 60}),
        ):
            r = await repairs.post(
                f"/v1/work-orders/{wo['id']}/actions", headers=tech, json={"action": action, **extra}
            )
            assert r.status_code == 200, r.text

        async def completed():
            got = await step_order(incident["id"])
            return got if got and got["state"] == "completed" else None

        done = await wait_until(completed, message="the step to complete with its work order")
        assert done["done_by"] == f"repairs {wo['reference']}"
        # the duty officer resolves and closes the incident: the order (done) hears it on its timeline
        for action in ("acknowledge", "resolve", "close"):
            r = await incidents.post(
                f"/v1/incidents/{incident['id']}/actions",
                headers=duty,
                json={"action": action, "note": "供水恢复"},
            )
            assert r.status_code == 200, r.text

        async def order_heard():
            got = (await repairs.get(f"/v1/work-orders/{wo['id']}", headers=s["dispatcher"])).json()
            kinds = [e["kind"] for e in got["timeline"]]
            return kinds if "incident_closed" in kinds else None

        assert "incident_resolved" in await wait_until(
            order_heard, message="the order to hear the incident end"
        )
        # a second outage, cancelled at once: its order, not yet under way, is cancelled
        other = await outage()
        second = await wait_until(lambda: step_order(other["id"]), message="the second work order")
        r = await incidents.post(
            f"/v1/incidents/{other['id']}/actions", headers=duty, json={"action": "cancel", "note": "误报"}
        )
        assert r.status_code == 200, r.text

        async def cancelled():
            got = (
                await repairs.get(f"/v1/work-orders/{second['work_order_id']}", headers=s["dispatcher"])
            ).json()
            return got if got["state"] == "cancelled" else None

        await wait_until(cancelled, message="repairs to cancel the cancelled incident's order")
