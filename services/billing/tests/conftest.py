from __future__ import annotations

import uuid

import pytest

from propdesk.billing.main import SERVICE as BILLING
from propdesk.common.testing.helpers import outbox_events, running_service, token, wait_until
from propdesk.intake.main import SERVICE as INTAKE

ADMIN = token("admin", all_estates=True)


async def events(db, event_type: str) -> list[dict]:
    return await outbox_events(db, "billing", event_type)


@pytest.fixture
async def site(platform_env, db):
    """intake and billing running; an estate with three homes (100, 118.5 and 89 m²) and a shop of 75.5 m²;
    an owner of the first home; billing knows them all."""
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(BILLING, platform_env) as billing,
    ):
        estate = (
            await intake.post("/v1/estates", json={"code": "YMS", "name": "阳明山庄"}, headers=ADMIN)
        ).json()
        eid = uuid.UUID(estate["id"])
        manager = token("manager", estates=[eid], sub="mgr")
        finance = token("finance", estates=[eid], sub="fin-1")
        b = (
            await intake.post(
                f"/v1/estates/{eid}/buildings",
                headers=manager,
                json={"code": "A1", "name": "A1栋", "floors": 6},
            )
        ).json()
        units = []
        for number, area, kind in (
            ("A1-0101", "100", "residential"),
            ("A1-0201", "118.5", "residential"),
            ("A1-0301", "89", "residential"),
            ("A1-S01", "75.5", "shop"),
        ):
            r = await intake.post(
                f"/v1/estates/{eid}/units",
                headers=manager,
                json={"building_id": b["id"], "number": number, "floor": 1, "area_m2": area, "kind": kind},
            )
            assert r.status_code == 201, r.text
            units.append(r.json())
        owner = (
            await intake.post(
                f"/v1/estates/{eid}/residents",
                headers=manager,
                json={
                    "name": "王建国",
                    "phone": "13812345678",
                    "occupancy": {"unit_id": units[0]["id"], "role": "owner"},
                },
            )
        ).json()

        async def known():  # the units, and the owner as the unit's payer (bank matching uses the name)
            rows = await db("SELECT count(*) FROM billing.unit")
            payers = await db("SELECT count(*) FROM billing.payer")
            named = await db("SELECT count(*) FROM billing.resident")
            return rows[0][0] == len(units) and payers[0][0] >= 1 and named[0][0] >= 1

        await wait_until(known, message="billing to know the units and the owner")
        me = token("resident", estates=[eid], units=[uuid.UUID(units[0]["id"])], sub=owner["id"])
        yield {
            "intake": intake,
            "billing": billing,
            "eid": eid,
            "manager": manager,
            "finance": finance,
            "units": units,
            "owner": owner,
            "me": me,
        }


async def fee(s, **body) -> dict:
    payload = {
        "code": "PMF",
        "name": "物业服务费",
        "basis": "per_m2",
        "unit_kind": "residential",
        "rate": "250",
        "effective_from": "2026-01-01",
        **body,
    }
    r = await s["billing"].post(f"/v1/estates/{s['eid']}/fee-items", headers=s["finance"], json=payload)
    assert r.status_code == 201, r.text
    return r.json()


async def run(s, period: str) -> dict:
    r = await s["billing"].post(
        f"/v1/estates/{s['eid']}/billing-runs", headers=s["finance"], json={"period": period}
    )
    assert r.status_code == 200, r.text
    return r.json()
