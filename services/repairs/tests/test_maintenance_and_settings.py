"""Preventive maintenance (generation ahead of time, missed visits), the desk's repair requests becoming work
orders, estate settings, SLA targets and the price list."""

from __future__ import annotations

import datetime as dt
import uuid

from propdesk.common.testing.helpers import wait_until

from .conftest import act, events, make_due


async def test_a_schedule_generates_its_visit_ahead_and_reports_it_missed(site, db):
    s = site
    url = f"/v1/estates/{s['eid']}/maintenance-schedules"
    body = {
        "place_id": s["places"]["lift"]["id"],
        "title": "1号电梯半月保养",
        "category": "elevator",
        "cron": "0 9 1,16 * *",
        "lead_days": 20,
    }
    for bad in (
        {**body, "cron": "every fortnight"},
        {**body, "cron": "0 9 * *"},
        {**body, "lead_days": -1},
        {**body, "place_id": None},
    ):
        r = await s["repairs"].post(url, headers=s["dispatcher"], json=bad)
        assert r.status_code == 422, bad
    r = await s["repairs"].post(url, headers=s["dispatcher"], json=body)
    assert r.status_code == 201, r.text
    schedule = r.json()
    first_due = dt.date.fromisoformat(schedule["next_due_on"])
    assert first_due.day in (1, 16)

    async def generated():
        rows = (await s["repairs"].get(url, headers=s["dispatcher"])).json()
        # (the list reads the schedule and its visits in two statements: wait for both to show the generation)
        return rows[0] if rows[0]["upcoming"] and rows[0]["next_due_on"] != schedule["next_due_on"] else None

    got = await wait_until(generated, message="the visit's work order")  # 20 days' lead: generated at once
    (visit,) = got["upcoming"]
    assert visit["due_on"] == first_due.isoformat() and dt.date.fromisoformat(got["next_due_on"]) > first_due
    wo = (await s["repairs"].get(f"/v1/work-orders/{visit['work_order_id']}", headers=s["dispatcher"])).json()
    assert (wo["source"], wo["urgency"], wo["technician_id"]) == (
        "preventive",
        "scheduled",
        s["techs"]["lift"]["id"],
    )
    assert wo["payable"] is False

    # the visit's day passes without completion
    await db(
        "UPDATE repairs.work_order SET scheduled_for = scheduled_for - 40 WHERE id = :id",
        id=uuid.UUID(wo["id"]),
    )
    await make_due(db, f"pm:{schedule['id']}:missed")
    missed = await wait_until(lambda: events(db, "repairs.maintenance.missed"), message="the missed visit")
    assert missed[0]["work_order_id"] == wo["id"]
    listed = (await s["repairs"].get(url, headers=s["dispatcher"])).json()[0]
    assert [m["work_order_id"] for m in listed["missed"]] == [wo["id"]]
    assert (await s["repairs"].post(url, headers=s["tech_token"]["lift"], json=body)).status_code == 403


async def test_a_desk_request_becomes_a_work_order_that_intake_links(site, db):
    s = site
    r = await s["intake"].post(
        f"/v1/estates/{s['eid']}/repair-requests",
        headers=s["manager"],
        json={
            "unit_id": s["units"][0]["id"],
            "category": "electrical",
            "urgency": "urgent",
            "description": "客厅跳闸",
            "resident_id": s["resident"]["id"],
        },
    )
    assert r.status_code == 201, r.text
    request = r.json()

    async def linked():
        got = (await s["intake"].get(f"/v1/repair-requests/{request['id']}", headers=s["manager"])).json()
        return got if got["work_order_reference"] else None

    got = await wait_until(linked, message="intake to link the work order")
    orders = (await s["repairs"].get(f"/v1/estates/{s['eid']}/work-orders", headers=s["dispatcher"])).json()[
        "items"
    ]
    (wo,) = orders
    assert (wo["reference"], wo["source"], wo["request_id"], wo["urgency"]) == (
        got["work_order_reference"],
        "desk",
        request["id"],
        "urgent",
    )
    assert (
        wo["technician_id"] == s["techs"]["electrician"]["id"]
        or wo["technician_id"] == s["techs"]["lift"]["id"]
    )


async def test_settings_targets_and_price_list(site):
    s = site
    base = f"/v1/estates/{s['eid']}"
    targets = (await s["repairs"].get(base + "/sla-targets", headers=s["dispatcher"])).json()
    assert {(t["urgency"], t["milestone"]): t["target_minutes"] for t in targets}[
        ("emergency", "arrive")
    ] == 30
    r = await s["repairs"].put(
        base + "/sla-targets",
        headers=s["manager"],
        json={
            "category": "elevator",
            "urgency": "urgent",
            "milestone": "arrive",
            "target_minutes": 60,
            "calendar": "clock",
        },
    )
    assert r.status_code == 200, r.text
    wo = (
        await s["repairs"].post(
            base + "/work-orders",
            headers=s["dispatcher"],
            json={
                "place_id": s["places"]["lift"]["id"],
                "category": "elevator",
                "problem": "out_of_service",
                "description": "停运",
            },
        )
    ).json()
    arrive = next(c for c in wo["clocks"] if c["milestone"] == "arrive")
    assert arrive["target_minutes"] == 60  # the category's own target wins
    assert (
        await s["repairs"].put(base + "/sla-targets", headers=s["dispatcher"], json={})
    ).status_code == 403
    bad = {"urgency": "urgent", "milestone": "arrive", "target_minutes": 0, "calendar": "clock"}
    assert (await s["repairs"].put(base + "/sla-targets", headers=s["manager"], json=bad)).status_code == 422

    settings = (await s["repairs"].get(base + "/repair-settings", headers=s["dispatcher"])).json()
    assert settings == {
        "labour_rate_fen_per_hour": 8000,
        "duplicate_window_minutes": 240,
        "auto_close_days": 7,
        "auto_dispatch": True,
    }
    settings["auto_dispatch"] = False
    assert (
        await s["repairs"].put(base + "/repair-settings", headers=s["manager"], json=settings)
    ).status_code == 200
    manual = (
        await s["repairs"].post(
            base + "/work-orders",
            headers=s["dispatcher"],
            json={"unit_id": s["units"][1]["id"], "category": "plumbing", "description": "x"},
        )
    ).json()
    assert (manual["state"], manual["technician_id"]) == ("reported", None)
    r = await act(s, manual, s["dispatcher"], "triage")
    assert r.json()["state"] == "triaged"
    r = await act(s, manual, s["dispatcher"], "assign", technician_id=s["techs"]["plumber"]["id"])
    assert r.json()["technician_id"] == s["techs"]["plumber"]["id"]
    r = await act(s, manual, s["dispatcher"], "assign", technician_id=s["techs"]["electrician"]["id"])
    assert r.status_code == 422  # a reassignment needs a reason
    r = await act(
        s,
        manual,
        s["dispatcher"],
        "assign",
        technician_id=s["techs"]["electrician"]["id"],
        reason="王师傅请假",
    )
    assert r.json()["technician_id"] == s["techs"]["electrician"]["id"]
    assert [e["kind"] for e in r.json()["timeline"]][-1] == "reassign"

    prices = (await s["repairs"].get(base + "/price-items", headers=s["dispatcher"])).json()
    assert {p["code"] for p in prices} >= {"TAP-01", "LOCK-01"}
    r = await s["repairs"].put(
        base + "/price-items",
        headers=s["manager"],
        json={"code": "TAP-01", "name": "水龙头", "unit": "个", "price_fen": 5000},
    )
    assert r.json()["price_fen"] == 5000
    assert (
        await s["repairs"].put(
            base + "/price-items",
            headers=s["manager"],
            json={"code": "X", "name": "x", "unit": "个", "price_fen": -1},
        )
    ).status_code == 422
    taxonomy = (await s["repairs"].get("/v1/repair-taxonomy", headers=s["me"])).json()
    elevator = next(c for c in taxonomy if c["category"] == "elevator")
    assert elevator["certificate_required"] == "电梯" and "entrapment" in [
        p["code"] for p in elevator["problems"]
    ]
