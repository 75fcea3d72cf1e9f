"""Move-in handover and move-out: occupancy, unit state, the events billing and notify act on, bad input."""

from __future__ import annotations

import uuid

from .conftest import building_with_units, events

CHECKLIST = [{"item": "门窗", "ok": True}, {"item": "墙面", "ok": False, "note": "客厅墙角有裂缝"}]
KEYS = [{"kind": "入户门", "count": 3}, {"kind": "门禁卡", "count": 2}]


async def resident(intake, estate, desk, name="李娜", phone="13912345678") -> dict:
    r = await intake.post(
        f"/v1/estates/{estate['id']}/residents", headers=desk, json={"name": name, "phone": phone}
    )
    assert r.status_code == 201, r.text
    return r.json()


def move_in_body(resident_id, **extra) -> dict:
    return {
        "resident_id": resident_id,
        "role": "owner",
        "handed_over_on": "2026-11-02",
        "checklist": CHECKLIST,
        "keys": KEYS,
        "meter_readings": [
            {"meter": "water", "reading": "12.5", "meter_number": "W-0201"},
            {"meter": "electricity", "reading": "301.25"},
        ],
        **extra,
    }


async def test_move_in_hands_over_then_move_out_closes_the_occupancy(intake, estate, manager, desk, db):
    _, (unit,) = await building_with_units(intake, estate, manager, 2)
    li = await resident(intake, estate, desk)
    r = await intake.post(f"/v1/units/{unit['id']}/move-ins", headers=desk, json=move_in_body(li["id"]))
    assert r.status_code == 201, r.text
    move = r.json()
    assert move["state"] == "moved_in" and move["checklist"][1]["note"] == "客厅墙角有裂缝"
    assert (await intake.get(f"/v1/units/{unit['id']}", headers=desk)).json()["state"] == "occupied"
    occupancies = (await intake.get(f"/v1/units/{unit['id']}/occupancies", headers=desk)).json()
    assert [(o["resident_id"], o["role"], o["ended_on"]) for o in occupancies] == [(li["id"], "owner", None)]
    (event,) = await events(db, "intake.move_in.completed")
    assert (event["unit_number"], event["resident_name"], event["keys"], event["handed_over_on"]) == (
        unit["number"],
        "李娜",
        5,
        "2026-11-02",
    )
    assert event["meter_readings"] == [
        {"meter": "water", "reading": "12.5", "meter_number": "W-0201"},
        {"meter": "electricity", "reading": "301.25", "meter_number": None},
    ]
    assert len(await events(db, "intake.occupancy.started")) == 1  # billing finds the payer here

    url = f"/v1/move-ins/{move['id']}/move-out"
    backwards = {
        "moved_out_on": "2026-11-20",
        "keys_returned": 5,
        "meter_readings": [{"meter": "water", "reading": "3"}],
    }
    r = await intake.post(url, headers=desk, json=backwards)
    assert r.status_code == 422 and "water" in r.json()["detail"]
    out = {
        "moved_out_on": "2026-11-20",
        "keys_returned": 5,
        "meter_readings": [{"meter": "water", "reading": "20"}],
    }
    r = await intake.post(url, headers=desk, json=out)
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["moved_out_on"], r.json()["keys_returned"]) == (
        "moved_out",
        "2026-11-20",
        5,
    )
    assert (await intake.get(f"/v1/units/{unit['id']}", headers=desk)).json()["state"] == "vacant"
    (ended,) = await events(db, "intake.occupancy.ended")
    assert ended["ended_on"] == "2026-11-20"
    (gone,) = await events(db, "intake.move_out.completed")
    assert gone["meter_readings"][0]["reading"] == "20"
    assert (await intake.post(url, headers=desk, json=out)).status_code == 409  # moved out once
    assert len(await events(db, "intake.move_out.completed")) == 1


async def test_bad_move_ins_are_refused_and_write_nothing(intake, estate, manager, desk, db):
    _, (unit,) = await building_with_units(intake, estate, manager, 3)
    li = await resident(intake, estate, desk)
    url = f"/v1/units/{unit['id']}/move-ins"
    for body in (
        move_in_body(li["id"], checklist=[]),
        move_in_body(li["id"], keys=[{"kind": "入户门", "count": 0}]),
        move_in_body(
            li["id"], meter_readings=[{"meter": "water", "reading": "1"}, {"meter": "water", "reading": "2"}]
        ),
        move_in_body(li["id"], meter_readings=[{"meter": "water", "reading": "-1"}]),
        move_in_body(li["id"], role="household_member"),
    ):
        r = await intake.post(url, headers=desk, json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await intake.post(url, headers=desk, json=move_in_body(str(uuid.uuid4())))
    assert r.status_code == 404
    assert (await intake.post(url, headers=desk, json=move_in_body(li["id"]))).status_code == 201
    again = await intake.post(url, headers=desk, json=move_in_body(li["id"]))
    assert again.status_code == 409  # already the owner
    assert (await db("SELECT count(*) FROM intake.move_in"))[0][0] == 1
    assert len(await events(db, "intake.move_in.completed")) == 1
