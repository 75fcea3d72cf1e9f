"""Small starting scenes for cross-service tests, built through intake's public API."""

from __future__ import annotations

import uuid

import httpx

from propdesk.common.testing.helpers import token

ADMIN = token("admin", all_estates=True)


async def household(
    intake: httpx.AsyncClient,
    *,
    building: str = "A3",
    unit_number: str = "A3-0201",
    floor: int = 2,
    name: str = "陈静",
    phone: str = "13612345678",
    desk_sub: str = "desk-7",
) -> dict:
    """The estate 阳明山庄 with one building, one unit and its owner; tokens for a manager, the desk and the
    owner (a resident of that unit)."""
    estate = (
        await intake.post("/v1/estates", json={"code": "YMS", "name": "阳明山庄"}, headers=ADMIN)
    ).json()
    eid = uuid.UUID(estate["id"])
    manager, desk = token("manager", estates=[eid]), token("receptionist", estates=[eid], sub=desk_sub)
    b = (
        await intake.post(
            f"/v1/estates/{eid}/buildings",
            headers=manager,
            json={"code": building, "name": f"{building}栋", "floors": max(floor, 3)},
        )
    ).json()
    unit = (
        await intake.post(
            f"/v1/estates/{eid}/units",
            headers=manager,
            json={"building_id": b["id"], "number": unit_number, "floor": floor, "area_m2": "132.5"},
        )
    ).json()
    resident = (
        await intake.post(
            f"/v1/estates/{eid}/residents",
            headers=desk,
            json={"name": name, "phone": phone, "occupancy": {"unit_id": unit["id"], "role": "owner"}},
        )
    ).json()
    me = token("resident", estates=[eid], units=[uuid.UUID(unit["id"])], sub=resident["id"])
    return {
        "estate": estate,
        "unit": unit,
        "building": b,
        "resident": resident,
        "manager": manager,
        "desk": desk,
        "me": me,
    }


async def repair_crew(intake: httpx.AsyncClient, repairs: httpx.AsyncClient, scene: dict) -> dict[str, dict]:
    """Two technicians (a plumber-electrician and an elevator technician with the certificate) registered in
    intake, known to repairs, and on call for the next twelve hours. Adds 'dispatcher' to the scene."""
    import datetime as dt

    from propdesk.common.testing.helpers import wait_until

    eid = uuid.UUID(scene["estate"]["id"])
    scene["dispatcher"] = token("dispatcher", estates=[eid], sub="disp-1")
    crew = {}
    for key, name, skills, certs in (
        ("plumber", "王师傅", ["plumbing", "electrical"], []),
        ("lift", "赵师傅", ["elevator", "electrical"], ["TSG T8 电梯安装维修作业证"]),
    ):
        r = await intake.post(
            f"/v1/estates/{eid}/staff",
            headers=scene["manager"],
            json={
                "name": name,
                "department": "engineering",
                "roles": ["technician"],
                "skills": skills,
                "certificates": certs,
            },
        )
        crew[key] = r.json()

    async def known():
        r = await repairs.get(f"/v1/estates/{eid}/technicians", headers=scene["dispatcher"])
        return r.status_code == 200 and len(r.json()) == len(crew)

    await wait_until(known, message="repairs to know the crew")
    now = dt.datetime.now(dt.UTC)
    window = {
        "from_at": (now - dt.timedelta(hours=1)).isoformat(),
        "to_at": (now + dt.timedelta(hours=12)).isoformat(),
    }
    for member in crew.values():
        await repairs.put(
            f"/v1/technicians/{member['id']}/rota", headers=scene["dispatcher"], json={"on_call": [window]}
        )
        member["token"] = token("technician", estates=[eid], sub=member["id"])
    return crew
