"""Broadcast scopes: the whole estate, buildings, floors of a building, units."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.testing.helpers import token, wait_until

from .conftest import set_quiet


async def test_estate_building_and_floor_scopes(platform):
    p = platform
    await set_quiet(p, now_inside=False)
    eid, intake = p["estate"]["id"], p["intake"]
    tower = (
        await intake.post(
            f"/v1/estates/{eid}/buildings",
            headers=p["manager"],
            json={"code": "T1", "name": "1号楼", "floors": 18},
        )
    ).json()
    villa = (
        await intake.post(
            f"/v1/estates/{eid}/buildings",
            headers=p["manager"],
            json={"code": "V1", "name": "别墅1", "floors": 3},
        )
    ).json()
    people = {}
    for building, floor, phone in (
        (tower, 1, "13800000001"),
        (tower, 2, "13800000002"),
        (tower, 3, "13800000003"),
        (villa, 1, "13800000004"),
    ):
        unit = (
            await intake.post(
                f"/v1/estates/{eid}/units",
                headers=p["manager"],
                json={
                    "building_id": building["id"],
                    "number": f"{building['code']}-{floor:02d}01",
                    "floor": floor,
                    "area_m2": "100",
                },
            )
        ).json()
        person = (
            await intake.post(
                f"/v1/estates/{eid}/residents",
                headers=p["desk"],
                json={
                    "name": f"住户{phone[-1]}",
                    "phone": phone,
                    "occupancy": {"unit_id": unit["id"], "role": "owner"},
                },
            )
        ).json()
        people[(building["code"], floor)] = person["id"]
    engine = create_async_engine(asyncpg_url(p["env"].database_url))

    async def ready():
        async with engine.connect() as conn:
            places = (await conn.execute(text("SELECT count(*) FROM notify.unit_place"))).scalar()
            housed = (
                await conn.execute(text("SELECT count(*) FROM notify.recipient WHERE cardinality(units) > 0"))
            ).scalar()
        return places == 4 and housed == 4

    await wait_until(ready, message="notify to know where everyone lives")
    await engine.dispose()

    async def send(**scope):
        r = await p["notify"].post(
            f"/v1/estates/{eid}/notices",
            headers=p["manager"],
            json={"title_zh": "通知", "body_zh": "内容", "title_en": "Notice", "body_en": "Text", **scope},
        )
        assert r.status_code == 201, r.text
        return r.json()["recipients"]

    assert await send(building_ids=[tower["id"]], floors=[2, 3]) == 2
    assert await send(building_ids=[tower["id"]]) == 3
    assert await send(all_residents=True) == 4
    floor3 = token("resident", estates=[uuid.UUID(eid)], sub=people[("T1", 3)])
    villa1 = token("resident", estates=[uuid.UUID(eid)], sub=people[("V1", 1)])
    assert len((await p["notify"].get("/v1/me/inbox", headers=floor3)).json()["items"]) == 3
    assert len((await p["notify"].get("/v1/me/inbox", headers=villa1)).json()["items"]) == 1
    bad = await p["notify"].post(
        f"/v1/estates/{eid}/notices",
        headers=p["manager"],
        json={"floors": [2], "title_zh": "a", "body_zh": "b", "title_en": "c", "body_en": "d"},
    )
    assert bad.status_code == 422
