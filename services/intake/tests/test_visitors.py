"""Visitors: pre-registration with a code for the resident's own unit, walk-ins with ID checked and
masked waiting for the host, check-in/out, overstay on a durable timer, the log, the blocked list."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from propdesk.common.db import asyncpg_url
from propdesk.common.testing.helpers import token, wait_until

from .conftest import building_with_units, events

ID_NUMBER = "11010519491231002X"


def window(hours_from: float = -0.1, hours_to: float = 2) -> dict:
    now = dt.datetime.now(dt.UTC)
    return {
        "window_from": (now + dt.timedelta(hours=hours_from)).isoformat(),
        "window_to": (now + dt.timedelta(hours=hours_to)).isoformat(),
    }


@pytest.fixture
async def host(intake, estate, manager, desk) -> dict:
    _, units = await building_with_units(intake, estate, manager, 1, 2)
    me = token("resident", estates=[uuid.UUID(estate["id"])], units=[uuid.UUID(units[0]["id"])])
    return {"units": units, "me": me}


class TestPreRegistration:
    async def test_resident_pre_registers_and_desk_checks_in_by_code(self, intake, estate, host, desk, db):
        r = await intake.post(
            f"/v1/estates/{estate['id']}/visits",
            headers=host["me"],
            json={
                "unit_id": host["units"][0]["id"],
                "visitor_name": "周杰",
                "visitor_phone": "13600000000",
                "purpose": "探亲",
                **window(),
            },
        )
        assert r.status_code == 201, r.text
        visit = r.json()
        assert visit["state"] == "expected" and len(visit["code"]) == 6
        bad_code = await intake.post(
            f"/v1/estates/{estate['id']}/visits/check-in",
            headers=desk,
            json={"code": "000000" if visit["code"] != "000000" else "111111"},
        )
        assert bad_code.status_code == 404
        inside = await intake.post(
            f"/v1/estates/{estate['id']}/visits/check-in", headers=desk, json={"code": visit["code"]}
        )
        assert inside.json()["state"] == "checked_in"
        again = await intake.post(
            f"/v1/estates/{estate['id']}/visits/check-in", headers=desk, json={"code": visit["code"]}
        )
        assert again.status_code == 404  # a code works once
        out = await intake.post(f"/v1/visits/{visit['id']}/check_out", headers=desk)
        assert out.json()["state"] == "checked_out"
        assert len(await events(db, "intake.visit.checked_in")) == 1
        assert len(await events(db, "intake.visit.checked_out")) == 1
        assert await db("SELECT key FROM intake.timer") == []  # the overstay timer went with the check-out

    async def test_resident_only_for_own_unit_and_sees_only_own_log(self, intake, estate, host, desk):
        theirs = await intake.post(
            f"/v1/estates/{estate['id']}/visits",
            headers=host["me"],
            json={"unit_id": host["units"][1]["id"], "visitor_name": "x", **window()},
        )
        assert theirs.status_code == 403
        walk_in = await intake.post(
            f"/v1/estates/{estate['id']}/visits",
            headers=host["me"],
            json={
                "unit_id": host["units"][0]["id"],
                "kind": "walk_in",
                "visitor_name": "x",
                "id_number": ID_NUMBER,
            },
        )
        assert walk_in.status_code == 403
        await intake.post(
            f"/v1/estates/{estate['id']}/visits",
            headers=desk,
            json={"unit_id": host["units"][1]["id"], "visitor_name": "郭敏", **window()},
        )
        assert (await intake.get(f"/v1/estates/{estate['id']}/visits", headers=host["me"])).json()[
            "items"
        ] == []
        assert (
            len((await intake.get(f"/v1/estates/{estate['id']}/visits", headers=desk)).json()["items"]) == 1
        )

    async def test_checking_in_outside_the_window_is_refused(self, intake, estate, host, desk):
        later = (
            await intake.post(
                f"/v1/estates/{estate['id']}/visits",
                headers=host["me"],
                json={"unit_id": host["units"][0]["id"], "visitor_name": "明天来", **window(20, 22)},
            )
        ).json()
        r = await intake.post(f"/v1/visits/{later['id']}/check_in", headers=desk)
        assert r.status_code == 409 and r.json()["type"].endswith("/outside-visit-window")

    @pytest.mark.parametrize(
        "bad",
        [
            {"window_from": "2026-12-01T14:00:00", "window_to": "2026-12-01T16:00:00"},  # no time zone
            {"window_from": "2026-12-01T16:00:00+08:00", "window_to": "2026-12-01T14:00:00+08:00"},
            {"window_from": "2026-12-01T14:00:00+08:00", "window_to": "2026-12-20T14:00:00+08:00"},
            {},
        ],
    )
    async def test_bad_windows_are_422(self, intake, estate, host, bad):
        r = await intake.post(
            f"/v1/estates/{estate['id']}/visits",
            headers=host["me"],
            json={"unit_id": host["units"][0]["id"], "visitor_name": "x", **bad},
        )
        assert r.status_code == 422


class TestWalkIn:
    async def test_walk_in_waits_for_host_and_overstay_is_flagged(
        self, intake, estate, host, desk, platform_env, db
    ):
        r = await intake.post(
            f"/v1/estates/{estate['id']}/visits",
            headers=desk,
            json={
                "unit_id": host["units"][0]["id"],
                "kind": "walk_in",
                "visitor_name": "快递员",
                "id_number": ID_NUMBER,
                "purpose": "送货",
            },
        )
        visit = r.json()
        assert (visit["state"], visit["id_number_masked"]) == ("awaiting_host", "110***********002X")
        assert ID_NUMBER not in str(await db("SELECT * FROM intake.visit"))
        assert (await intake.post(f"/v1/visits/{visit['id']}/check_in", headers=desk)).status_code == 409
        confirmed = await intake.post(f"/v1/visits/{visit['id']}/confirm", headers=host["me"])
        assert confirmed.json()["state"] == "confirmed"
        await intake.post(f"/v1/visits/{visit['id']}/check_in", headers=desk)
        engine = create_async_engine(asyncpg_url(platform_env.database_url))
        async with engine.begin() as conn:  # the visit window ends now
            await conn.execute(
                text("UPDATE intake.timer SET due_at = now() WHERE key = :k"), {"k": f"visit:{visit['id']}"}
            )
        await engine.dispose()

        async def overstayed():
            page = (
                await intake.get(
                    f"/v1/estates/{estate['id']}/visits", params={"overstay": "true"}, headers=desk
                )
            ).json()
            return page["items"]

        [flagged] = await wait_until(overstayed, message="the overstay flag")
        assert flagged["id"] == visit["id"]
        assert len(await events(db, "intake.visit.overstayed")) == 1

    async def test_blocked_visitor_is_refused(self, intake, estate, host, desk, manager):
        r = await intake.post(
            f"/v1/estates/{estate['id']}/blocked-visitors",
            headers=manager,
            json={"id_number": ID_NUMBER, "reason": "多次滋扰住户"},
        )
        assert r.status_code == 201 and r.json()["id_number_masked"] == "110***********002X"
        refused = await intake.post(
            f"/v1/estates/{estate['id']}/visits",
            headers=desk,
            json={
                "unit_id": host["units"][0]["id"],
                "kind": "walk_in",
                "visitor_name": "某人",
                "id_number": ID_NUMBER,
            },
        )
        assert refused.status_code == 409 and refused.json()["detail"] == "多次滋扰住户"
        assert (await intake.get(f"/v1/estates/{estate['id']}/visits", headers=desk)).json()["items"] == []
        await intake.delete(f"/v1/blocked-visitors/{r.json()['id']}", headers=manager)
        allowed = await intake.post(
            f"/v1/estates/{estate['id']}/visits",
            headers=desk,
            json={
                "unit_id": host["units"][0]["id"],
                "kind": "walk_in",
                "visitor_name": "某人",
                "id_number": ID_NUMBER,
            },
        )
        assert allowed.status_code == 201


class TestLog:
    async def test_search_by_name_and_date(self, intake, estate, host, desk):
        for name in ("王芳", "王强", "李明"):
            await intake.post(
                f"/v1/estates/{estate['id']}/visits",
                headers=desk,
                json={"unit_id": host["units"][0]["id"], "visitor_name": name, **window()},
            )
        names = [
            v["visitor_name"]
            for v in (
                await intake.get(f"/v1/estates/{estate['id']}/visits", params={"name": "王"}, headers=desk)
            ).json()["items"]
        ]
        assert sorted(names) == ["王强", "王芳"]
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        assert (
            len(
                (
                    await intake.get(
                        f"/v1/estates/{estate['id']}/visits", params={"on": str(today)}, headers=desk
                    )
                ).json()["items"]
            )
            == 3
        )
        assert (
            await intake.get(
                f"/v1/estates/{estate['id']}/visits",
                params={"on": str(today + dt.timedelta(days=3))},
                headers=desk,
            )
        ).json()["items"] == []
