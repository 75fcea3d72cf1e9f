"""Issue 19, item 1: an incident knows where it is from the unit or place reported (building and floor, from
the registry projection); a report is linked only to an active incident of the same playbook and the same
building (or place), never through a missing building; unknown units and places are 404."""

from __future__ import annotations

import uuid

from propdesk.common.testing.helpers import wait_until

ILLNESS = "sudden_illness"


async def unit_in(s, building: dict, number: str, floor: int) -> dict:
    r = await s["intake"].post(
        f"/v1/estates/{s['eid']}/units",
        headers=s["manager"],
        json={"building_id": building["id"], "number": number, "floor": floor, "area_m2": "90"},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def report(s, **body):
    return await s["incidents"].post(
        f"/v1/estates/{s['eid']}/incidents",
        headers=s["duty"],
        json={"playbook": ILLNESS, "description": "住户突发疾病", **body},
    )


async def test_two_illnesses_in_two_buildings_are_two_incidents(site, db):
    s = site
    c1, c2 = s["buildings"]
    a = await unit_in(s, c1, "C1-0502", 5)
    b = await unit_in(s, c2, "C2-1101", 11)
    place = await s["intake"].post(
        f"/v1/estates/{s['eid']}/places",
        headers=s["manager"],
        json={"kind": "lobby", "code": "C2-LOBBY", "name": "C2栋大堂", "building_id": c2["id"], "floor": 1},
    )
    assert place.status_code == 201, place.text

    async def projected():
        units = await db("SELECT count(*) FROM incidents.unit WHERE estate_id = :e", e=s["eid"])
        places = await db("SELECT count(*) FROM incidents.place WHERE estate_id = :e", e=s["eid"])
        return units[0][0] == 2 and places[0][0] == 1

    await wait_until(projected, message="incidents to know the units and the place")
    first = await report(s, unit_id=a["id"])
    assert first.status_code == 201, first.text
    assert (first.json()["building_id"], first.json()["floors"], first.json()["linked"]) == (
        c1["id"],
        [5],
        False,
    )
    second = await report(s, unit_id=b["id"])  # the same playbook, another building: its own incident
    assert second.status_code == 201 and second.json()["linked"] is False
    assert second.json()["id"] != first.json()["id"] and second.json()["building_id"] == c2["id"]
    again = await report(s, unit_id=a["id"], description="同一病人家属再次来电")
    assert (
        again.status_code == 200
        and again.json()["linked"] is True
        and again.json()["id"] == first.json()["id"]
    )
    lobby = await report(s, place_id=place.json()["id"])  # C2's lobby: C2's incident
    assert lobby.json()["linked"] is True and lobby.json()["id"] == second.json()["id"]
    nowhere = await report(s)  # nowhere said: never someone else's incident
    assert nowhere.status_code == 201 and nowhere.json()["linked"] is False
    assert nowhere.json()["id"] not in (first.json()["id"], second.json()["id"])
    missing = await report(s, unit_id=str(uuid.uuid4()))
    assert missing.status_code == 404 and missing.json()["type"].endswith("/unit-not-found")
    no_place = await report(s, place_id=str(uuid.uuid4()))
    assert no_place.status_code == 404 and no_place.json()["type"].endswith("/place-not-found")
    wrong = await report(s, unit_id=a["id"], building_id=c2["id"])
    assert wrong.status_code == 422
