from __future__ import annotations

import contextlib
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.testing.helpers import running_service, token, wait_until
from propdesk.incidents.main import SERVICE as INCIDENTS
from propdesk.intake.main import SERVICE as INTAKE

ADMIN = token("admin", all_estates=True)


@pytest.fixture
async def db(platform_env):
    engine = create_async_engine(asyncpg_url(platform_env.database_url))

    async def query(sql: str, **params):
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return result.all() if result.returns_rows else result.rowcount

    yield query
    await engine.dispose()


async def events(db, event_type: str) -> list[dict]:
    rows = await db("SELECT envelope FROM incidents.outbox WHERE event_type = :t ORDER BY seq", t=event_type)
    return [r[0]["payload"] for r in rows]


async def make_due(db, key_prefix: str) -> None:
    await db(
        "UPDATE incidents.timer SET due_at = now() - interval '1 second' WHERE key LIKE :k",
        k=key_prefix + "%",
    )


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
