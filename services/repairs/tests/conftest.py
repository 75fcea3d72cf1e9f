from __future__ import annotations

import contextlib
import datetime as dt
import uuid

import pytest

from propdesk.common.testing.helpers import make_timers_due, outbox_events, running_service, token, wait_until
from propdesk.intake.main import SERVICE as INTAKE
from propdesk.repairs.main import SERVICE as REPAIRS

ADMIN = token("admin", all_estates=True)
TECHS = {
    "plumber": ("王师傅", ["plumbing", "hvac"], []),
    "electrician": ("李师傅", ["electrical", "plumbing"], []),
    "lift": ("赵师傅", ["elevator", "electrical"], ["TSG T8 电梯安装维修作业证"]),
    "lift_no_cert": ("钱师傅", ["elevator"], []),
}


async def events(db, event_type: str) -> list[dict]:
    return await outbox_events(db, "repairs", event_type)


async def make_due(db, key_prefix: str) -> None:
    await make_timers_due(db, "repairs", key_prefix)


@contextlib.asynccontextmanager
async def site_of(
    platform_env,
    *,
    on_call: tuple[str, ...] = ("plumber", "electrician", "lift", "lift_no_cert"),
    **repairs_settings,
):
    """intake and repairs running; an estate with two buildings, three units, an elevator car and a lobby;
    four technicians (two on call now unless told otherwise); a resident who owns unit 0."""
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(REPAIRS, platform_env, **repairs_settings) as repairs,
    ):
        estate = (
            await intake.post("/v1/estates", json={"code": "YMS", "name": "阳明山庄"}, headers=ADMIN)
        ).json()
        eid = uuid.UUID(estate["id"])
        manager = token("manager", estates=[eid], sub="mgr-1")
        dispatcher = token("dispatcher", estates=[eid], sub="disp-1")
        buildings = []
        for code in ("C1", "C2"):
            r = await intake.post(
                f"/v1/estates/{eid}/buildings",
                headers=manager,
                json={"code": code, "name": f"{code}栋", "floors": 18, "elevators": 2},
            )
            buildings.append(r.json())
        units = []
        for b, number in ((buildings[0], "C1-0501"), (buildings[0], "C1-0502"), (buildings[1], "C2-1201")):
            r = await intake.post(
                f"/v1/estates/{eid}/units",
                headers=manager,
                json={"building_id": b["id"], "number": number, "floor": int(number[3:5]), "area_m2": "118"},
            )
            units.append(r.json())
        places = {}
        for key, b, kind, code, name in (
            ("lift", buildings[0], "elevator", "C1-L1", "1号电梯"),
            ("lobby", buildings[1], "lobby", "C2-LOBBY", "大堂"),
        ):
            r = await intake.post(
                f"/v1/estates/{eid}/places",
                headers=manager,
                json={"building_id": b["id"], "kind": kind, "code": code, "name": name, "floor": 1},
            )
            assert r.status_code == 201, r.text
            places[key] = r.json()
        techs = {}
        for key, (name, skills, certs) in TECHS.items():
            r = await intake.post(
                f"/v1/estates/{eid}/staff",
                headers=manager,
                json={
                    "name": name,
                    "department": "engineering",
                    "roles": ["technician"],
                    "skills": skills,
                    "certificates": certs,
                },
            )
            techs[key] = r.json()
        resident = (
            await intake.post(
                f"/v1/estates/{eid}/residents",
                headers=manager,
                json={
                    "name": "陈静",
                    "phone": "13612345678",
                    "occupancy": {"unit_id": units[0]["id"], "role": "owner"},
                },
            )
        ).json()
        me = token("resident", estates=[eid], units=[uuid.UUID(units[0]["id"])], sub=resident["id"])

        async def known():
            r = await repairs.get(f"/v1/estates/{eid}/technicians", headers=dispatcher)
            return r.status_code == 200 and len(r.json()) == len(TECHS)

        await wait_until(known, message="repairs to know the estate and its technicians")
        now = dt.datetime.now(dt.UTC)
        for key in on_call:
            r = await repairs.put(
                f"/v1/technicians/{techs[key]['id']}/rota",
                headers=dispatcher,
                json={
                    "on_call": [
                        {
                            "from_at": (now - dt.timedelta(hours=1)).isoformat(),
                            "to_at": (now + dt.timedelta(hours=12)).isoformat(),
                        }
                    ]
                },
            )
            assert r.status_code == 200, r.text
        yield {
            "intake": intake,
            "repairs": repairs,
            "estate": estate,
            "eid": eid,
            "manager": manager,
            "dispatcher": dispatcher,
            "buildings": buildings,
            "units": units,
            "places": places,
            "techs": techs,
            "tech_token": {k: token("technician", estates=[eid], sub=v["id"]) for k, v in techs.items()},
            "resident": resident,
            "me": me,
        }


@pytest.fixture
async def site(platform_env):
    async with site_of(platform_env) as s:
        yield s


async def report(s, headers=None, **body) -> dict:
    payload = {
        "unit_id": s["units"][0]["id"],
        "category": "plumbing",
        "problem": "leak",
        "description": "厨房水管漏水",
        **body,
    }
    r = await s["repairs"].post(
        f"/v1/estates/{s['eid']}/work-orders", headers=headers or s["me"], json=payload
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


async def act(s, wo, headers, action, **extra):
    return await s["repairs"].post(
        f"/v1/work-orders/{wo['id']}/actions", headers=headers, json={"action": action, **extra}
    )
