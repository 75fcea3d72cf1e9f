"""Issue 8's end-to-end for a repairs assignment, notify's side: the technician (in-app and SMS) and the
resident (in their own language) hear about it. repairs' work-order domain is issue 5; here its service
publishes the assignment through its real outbox, relay and JetStream stream."""

from __future__ import annotations

import base64
import contextlib
import json
import uuid

from propdesk.common import outbox
from propdesk.common.contracts.repairs import WorkOrderAssigned
from propdesk.common.embedded import free_port
from propdesk.common.sinks import HttpSink
from propdesk.common.testing.helpers import running_service, token, wait_until
from propdesk.common.uow import unit_of_work
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.notify.main import SERVICE as NOTIFY
from propdesk.repairs.main import SERVICE as REPAIRS

ADMIN = token("admin", all_estates=True)
SECRET = "whsec_" + base64.b64encode(b"propdesk-e2e-provider-secret-32by").decode()


async def test_assignment_reaches_technician_and_resident_in_their_languages(platform_env):
    sms = HttpSink(free_port()).start()
    try:
        async with contextlib.AsyncExitStack() as stack:
            intake = await stack.enter_async_context(running_service(INTAKE, platform_env))
            notify = await stack.enter_async_context(
                running_service(
                    NOTIFY,
                    platform_env,
                    sms_providers=json.dumps([{"name": "sms", "url": sms.url, "secret": SECRET}]),
                )
            )
            repairs = await stack.enter_async_context(running_service(REPAIRS, platform_env))
            estate = (
                await intake.post("/v1/estates", json={"code": "YMS", "name": "阳明山庄"}, headers=ADMIN)
            ).json()
            eid = uuid.UUID(estate["id"])
            manager = token("manager", estates=[eid])
            await wait_until(
                lambda: _ok(notify.get(f"/v1/estates/{eid}/quiet-hours", headers=manager)),
                message="notify to know the estate",
            )
            late = await notify.put(
                f"/v1/estates/{eid}/quiet-hours", headers=manager, json={"starts": "03:00", "ends": "03:01"}
            )  # no quiet hours in the way
            assert late.status_code == 200
            b = (
                await intake.post(
                    f"/v1/estates/{eid}/buildings",
                    headers=manager,
                    json={"code": "A3", "name": "A3栋", "floors": 6},
                )
            ).json()
            unit = (
                await intake.post(
                    f"/v1/estates/{eid}/units",
                    headers=manager,
                    json={"building_id": b["id"], "number": "A3-0201", "floor": 2, "area_m2": "120"},
                )
            ).json()
            resident = (
                await intake.post(
                    f"/v1/estates/{eid}/residents",
                    headers=manager,
                    json={
                        "name": "Li Na",
                        "phone": "13912345678",
                        "language": "en",
                        "occupancy": {"unit_id": unit["id"], "role": "tenant"},
                    },
                )
            ).json()
            tech = (
                await intake.post(
                    f"/v1/estates/{eid}/staff",
                    headers=manager,
                    json={
                        "name": "刘强",
                        "department": "engineering",
                        "roles": ["technician"],
                        "phone": "13700001111",
                        "skills": ["plumbing"],
                    },
                )
            ).json()

            async def known():
                inbox = await notify.get(
                    "/v1/me/inbox/unread-count", headers=token("technician", estates=[eid], sub=tech["id"])
                )
                return inbox.status_code == 200 and await _recipients_known(notify, manager, tech, resident)

            await wait_until(known, message="notify to know the technician and the resident")
            async with unit_of_work(repairs.app.state.runtime.sessionmaker) as session:
                outbox.record(
                    session,
                    WorkOrderAssigned(
                        work_order_id=uuid.uuid4(),
                        estate_id=eid,
                        reference="WO-202611-000007",
                        technician_id=uuid.UUID(tech["id"]),
                        technician_name="刘强",
                        resident_id=uuid.UUID(resident["id"]),
                        unit_id=uuid.UUID(unit["id"]),
                        location="A3-0201",
                        category="plumbing",
                        urgency="urgent",
                        description="厨房水管漏水",
                    ),
                    aggregate_id=uuid.uuid4(),
                    estate_id=eid,
                )

            async def inbox(person_id, role):
                r = await notify.get("/v1/me/inbox", headers=token(role, estates=[eid], sub=person_id))
                return r.json()["items"]

            [for_tech] = await wait_until(
                lambda: inbox(tech["id"], "technician"), message="the technician's inbox"
            )
            [for_resident] = await wait_until(
                lambda: inbox(resident["id"], "resident"), message="the resident's inbox"
            )
            assert for_tech["title"] == "派工 WO-202611-000007"
            assert "刘强 已受理 A3-0201 的维修（给排水，紧急）" in for_tech["body"]
            assert for_resident["title"] == "Work order WO-202611-000007"
            assert "is assigned the repair at A3-0201 (plumbing, urgent)" in for_resident["body"]

            async def texts():
                return {json.loads(q.body)["to"]: json.loads(q.body)["text"] for q in sms.requests} or None

            sent = await wait_until(lambda: _both(texts()), message="both SMS")
            assert sent["+8613700001111"].startswith("【阳明山庄】派工 WO-202611-000007")
            assert sent["+8613912345678"].startswith("[阳明山庄] Work order WO-202611-000007")
    finally:
        sms.stop()


async def _ok(coro):
    r = await coro
    return r.status_code == 200


async def _both(coro):
    texts = await coro
    return texts if texts and len(texts) == 2 else None


async def _recipients_known(notify, manager, tech, resident) -> bool:
    for person in (tech, resident):
        r = await notify.get(f"/v1/recipients/{person['id']}/deliveries", headers=manager)
        if r.status_code != 200:
            return False
    return True
