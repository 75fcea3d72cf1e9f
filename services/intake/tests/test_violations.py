"""Violations (notice with a deadline on a durable timer, escalation, re-inspection, fines to billing) and
vacant units (the inspection list, findings becoming repair requests, the due timer)."""

from __future__ import annotations

import datetime as dt

import pytest

from propdesk.common.testing.helpers import wait_until

from .conftest import building_with_units, events, household, make_due


@pytest.fixture
async def home(intake, estate, manager, desk) -> dict:
    _, units = await building_with_units(intake, estate, manager, 1, 2)
    return {"units": units, **await household(intake, estate, desk, units[0]["id"])}


def violation(unit_id, **extra) -> dict:
    return {
        "unit_id": unit_id,
        "type": "illegal_construction",
        "description": "露台私自搭建阳光房",
        "evidence": ["photo://vio/1.jpg", "photo://vio/2.jpg"],
        **extra,
    }


async def act(intake, v, headers, action, **extra):
    return await intake.post(
        f"/v1/violations/{v['id']}/actions", headers=headers, json={"action": action, **extra}
    )


class TestViolations:
    async def test_recorded_violation_is_noticed_with_a_deadline(self, intake, estate, home, desk, db):
        before = dt.datetime.now(dt.UTC)
        r = await intake.post(
            f"/v1/estates/{estate['id']}/violations", headers=desk, json=violation(home["unit_id"])
        )
        assert r.status_code == 201, r.text
        v = r.json()
        assert v["reference"].startswith("VIO-") and (v["state"], v["notice_count"]) == ("noticed", 1)
        deadline = dt.datetime.fromisoformat(v["deadline"])
        assert dt.timedelta(days=7) <= deadline - before < dt.timedelta(days=7, minutes=1)  # policy default
        assert v["resident_id"] == home["resident"]["id"]
        (notice,) = await events(db, "intake.violation.noticed")
        assert (notice["violation_id"], notice["notice_count"]) == (v["id"], 1)
        timers = await db("SELECT kind FROM intake.timer WHERE key = :k", k=f"violation:{v['id']}:deadline")
        assert timers == [("violation.deadline",)]

    async def test_missed_deadline_escalates_twice_then_stops(self, intake, estate, home, desk, db):
        v = (
            await intake.post(
                f"/v1/estates/{estate['id']}/violations", headers=desk, json=violation(home["unit_id"])
            )
        ).json()
        await db(
            "UPDATE intake.violation SET deadline = now() - interval '1 minute' WHERE id = :id", id=v["id"]
        )
        await make_due(db, f"violation:{v['id']}")
        first = await wait_until(lambda: events(db, "intake.violation.escalated"), message="first escalation")
        assert first[0]["level"] == 1
        rearmed = await db(
            "SELECT due_at FROM intake.timer WHERE key = :k", k=f"violation:{v['id']}:deadline"
        )
        assert rearmed and rearmed[0][0] > dt.datetime.now(dt.UTC) + dt.timedelta(days=2)  # again in 3 days

        async def two():
            found = await events(db, "intake.violation.escalated")
            return found if len(found) == 2 else None

        await make_due(db, f"violation:{v['id']}")
        second = await wait_until(two, message="second escalation")
        assert [e["level"] for e in second] == [1, 2]
        await wait_until(
            lambda: db(
                "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM intake.timer WHERE key LIKE :k)",
                k=f"violation:{v['id']}%",
            ),
            message="no timer after the top level",
        )
        got = (await intake.get(f"/v1/violations/{v['id']}", headers=desk)).json()
        assert got["escalation_level"] == 2
        assert [a["kind"] for a in got["timeline"]] == ["recorded", "noticed", "escalated", "escalated"]
        listed = (
            await intake.get(
                f"/v1/estates/{estate['id']}/violations", headers=desk, params={"escalated": True}
            )
        ).json()
        assert [x["id"] for x in listed["items"]] == [v["id"]]

    async def test_reinspection_renotice_fine_and_cancel(self, intake, estate, home, desk, db):
        v = (
            await intake.post(
                f"/v1/estates/{estate['id']}/violations", headers=desk, json=violation(home["unit_id"])
            )
        ).json()
        later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=14)).isoformat()
        r = await act(intake, v, desk, "reinspect", rectified=False, deadline=later, note="仍未拆除")
        assert (r.json()["state"], r.json()["notice_count"]) == ("noticed", 2)
        assert dt.datetime.fromisoformat(r.json()["deadline"]) == dt.datetime.fromisoformat(later)
        fined = await act(intake, v, desk, "fine", amount_fen=200_000, note="违章搭建罚款（依管理规约）")
        assert fined.status_code == 200 and fined.json()["fines_fen"] == 200_000
        (fine,) = await events(db, "intake.violation.fined")
        assert (fine["amount_fen"], fine["unit_id"], fine["type"]) == (
            200_000,
            home["unit_id"],
            "illegal_construction",
        )
        for bad in (
            {"action": "fine", "amount_fen": 0, "note": "x"},
            {"action": "fine", "amount_fen": 100},  # no reason
            {"action": "notice", "amount_fen": 100},
            {"action": "reinspect"},
            {"action": "cancel"},  # no reason
            {"action": "demolish"},
        ):
            assert (
                await intake.post(f"/v1/violations/{v['id']}/actions", headers=desk, json=bad)
            ).status_code == 422, bad
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
        assert (await act(intake, v, desk, "notice", deadline=past)).status_code == 422
        ok = await act(intake, v, desk, "reinspect", rectified=True, photos=["photo://vio/3.jpg"])
        assert ok.json()["state"] == "rectified"
        assert await db("SELECT key FROM intake.timer WHERE key LIKE :k", k=f"violation:{v['id']}%") == []
        assert (await act(intake, v, desk, "cancel", note="误报")).status_code == 409
        assert (await act(intake, v, desk, "reinspect", rectified=True)).status_code == 409
        assert len(await events(db, "intake.violation.rectified")) == 1

    async def test_residents_see_their_own_violations_only_and_cannot_act(self, intake, estate, home, desk):
        mine = (
            await intake.post(
                f"/v1/estates/{estate['id']}/violations", headers=desk, json=violation(home["unit_id"])
            )
        ).json()
        other = (
            await intake.post(
                f"/v1/estates/{estate['id']}/violations", headers=desk, json=violation(home["units"][1]["id"])
            )
        ).json()
        listed = (await intake.get(f"/v1/estates/{estate['id']}/violations", headers=home["me"])).json()[
            "items"
        ]
        assert [x["id"] for x in listed] == [mine["id"]]
        assert (await intake.get(f"/v1/violations/{other['id']}", headers=home["me"])).status_code == 403
        assert (await act(intake, mine, home["me"], "cancel", note="不服")).status_code == 403
        r = await intake.post(
            f"/v1/estates/{estate['id']}/violations", headers=home["me"], json=violation(home["unit_id"])
        )
        assert r.status_code == 403
        nowhere = {k: v for k, v in violation(home["unit_id"]).items() if k != "unit_id"}
        assert (
            await intake.post(f"/v1/estates/{estate['id']}/violations", headers=desk, json=nowhere)
        ).status_code == 422


class TestVacantUnits:
    async def test_inspection_list_findings_become_repair_requests_and_the_due_timer(
        self, intake, estate, manager, desk, db
    ):
        _, units = await building_with_units(intake, estate, manager, 1, 2, 3)
        await household(intake, estate, desk, units[2]["id"])  # the third is lived in
        listed = (await intake.get(f"/v1/estates/{estate['id']}/vacant-units", headers=desk)).json()
        assert {u["unit_id"] for u in listed} == {units[0]["id"], units[1]["id"]}  # not the lived-in one
        assert all(u["last_inspected_at"] is None and not u["overdue"] for u in listed)
        body = {
            "findings": [
                {"item": "门窗", "ok": True},
                {
                    "item": "卫生间",
                    "ok": False,
                    "note": "地漏返水",
                    "photos": ["photo://vac/1.jpg"],
                    "repair_category": "plumbing",
                },
            ]
        }
        r = await intake.post(f"/v1/units/{units[0]['id']}/vacant-inspections", headers=desk, json=body)
        assert r.status_code == 201, r.text
        (request_id,) = r.json()["repair_request_ids"]
        (asked,) = await events(db, "intake.repair.requested")
        assert (asked["request_id"], asked["source"], asked["source_id"], asked["category"]) == (
            request_id,
            "vacant_unit",
            r.json()["id"],
            "plumbing",
        )
        assert "地漏返水" in asked["description"] and asked["photos"] == ["photo://vac/1.jpg"]
        listed = (await intake.get(f"/v1/estates/{estate['id']}/vacant-units", headers=desk)).json()
        inspected = next(u for u in listed if u["unit_id"] == units[0]["id"])
        assert inspected["last_inspected_at"] is not None
        timer = await db("SELECT due_at FROM intake.timer WHERE key = :k", k=f"vacant:{units[0]['id']}")
        assert timer and timer[0][0] > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
        await make_due(db, f"vacant:{units[0]['id']}")
        (due,) = await wait_until(
            lambda: events(db, "intake.vacant_unit.inspection_due"), message="due event"
        )
        assert due["unit_number"] == units[0]["number"]

        lived_in = await intake.post(
            f"/v1/units/{units[2]['id']}/vacant-inspections", headers=desk, json=body
        )
        assert lived_in.status_code == 409
        ok_with_repair = {"findings": [{"item": "门窗", "ok": True, "repair_category": "doors_windows"}]}
        r = await intake.post(
            f"/v1/units/{units[1]['id']}/vacant-inspections", headers=desk, json=ok_with_repair
        )
        assert r.status_code == 422
        assert len(await events(db, "intake.repair.requested")) == 1
