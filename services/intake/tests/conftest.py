from __future__ import annotations

import uuid

import pytest

from propdesk.common.testing.helpers import make_timers_due, outbox_events, running_service, token
from propdesk.intake.main import SERVICE as INTAKE

ADMIN = token("admin", all_estates=True)


@pytest.fixture
async def intake(platform_env):
    async with running_service(INTAKE, platform_env) as client:
        yield client


@pytest.fixture
async def estate(intake) -> dict:
    r = await intake.post("/v1/estates", json={"code": "YMS", "name": "阳明山庄"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def desk(estate) -> dict:
    return token("receptionist", estates=[uuid.UUID(estate["id"])], sub="desk-1")


@pytest.fixture
def manager(estate) -> dict:
    return token("manager", estates=[uuid.UUID(estate["id"])], sub="mgr-1")


async def events(db, event_type: str) -> list[dict]:
    return await outbox_events(db, "intake", event_type)


async def building_with_units(
    intake, estate: dict, manager: dict, *floors: int, code: str = "A1"
) -> tuple[dict, list]:
    """A six-floor building and one unit on each of `floors` (numbered like A1-0201)."""
    building = (
        await intake.post(
            f"/v1/estates/{estate['id']}/buildings",
            headers=manager,
            json={"code": code, "name": f"{code}栋", "floors": 6},
        )
    ).json()
    units = []
    for floor in floors:
        r = await intake.post(
            f"/v1/estates/{estate['id']}/units",
            headers=manager,
            json={
                "building_id": building["id"],
                "number": f"{code}-0{floor}01",
                "floor": floor,
                "area_m2": "100",
            },
        )
        assert r.status_code == 201, r.text
        units.append(r.json())
    return building, units


async def household(
    intake, estate: dict, desk: dict, unit_id: str, *, name="王建国", phone="13812345678"
) -> dict:
    """A resident who owns `unit_id`, with a resident token for that unit."""
    resident = (
        await intake.post(
            f"/v1/estates/{estate['id']}/residents",
            headers=desk,
            json={"name": name, "phone": phone, "occupancy": {"unit_id": unit_id, "role": "owner"}},
        )
    ).json()
    me = token("resident", estates=[uuid.UUID(estate["id"])], units=[uuid.UUID(unit_id)], sub=resident["id"])
    return {"resident": resident, "me": me, "unit_id": unit_id}


async def make_due(db, key_prefix: str) -> None:
    await make_timers_due(db, "intake", key_prefix)
