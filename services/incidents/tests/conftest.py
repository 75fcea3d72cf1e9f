from __future__ import annotations

import contextlib
import uuid

import pytest

from propdesk.common.testing.helpers import make_timers_due, outbox_events, running_service, token, wait_until
from propdesk.incidents.main import SERVICE as INCIDENTS
from propdesk.intake.main import SERVICE as INTAKE

ADMIN = token("admin", all_estates=True)


async def events(db, event_type: str) -> list[dict]:
    return await outbox_events(db, "incidents", event_type)


async def make_due(db, key_prefix: str) -> None:
    await make_timers_due(db, "incidents", key_prefix)


async def known_estate(intake, incidents) -> dict:
    estate = (
        await intake.post("/v1/estates", json={"code": "YMS", "name": "阳明山庄"}, headers=ADMIN)
    ).json()
    eid = uuid.UUID(estate["id"])
    manager = token("manager", estates=[eid], sub="mgr-1")
    buildings = [
        (
            await intake.post(
                f"/v1/estates/{eid}/buildings",
                headers=manager,
                json={"code": c, "name": f"{c}栋", "floors": 18, "elevators": 2},
            )
        ).json()
        for c in ("C1", "C2")
    ]

    async def provisioned():
        r = await incidents.get(f"/v1/estates/{eid}/playbooks", headers=manager)
        return r.status_code == 200

    await wait_until(provisioned, message="incidents to know the estate")
    return {
        "estate": estate,
        "eid": eid,
        "buildings": buildings,
        "manager": manager,
        "duty": token("duty_officer", estates=[eid], sub="duty-1"),
        "guard": token("receptionist", estates=[eid], sub="guard-1"),
    }


@contextlib.asynccontextmanager
async def stack(platform_env):
    async with (
        running_service(INTAKE, platform_env) as intake,
        running_service(INCIDENTS, platform_env) as incidents,
    ):
        yield intake, incidents


@pytest.fixture
async def site(platform_env):
    async with stack(platform_env) as (intake, incidents):
        yield {"intake": intake, "incidents": incidents, **await known_estate(intake, incidents)}
