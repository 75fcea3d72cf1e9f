"""Registry: buildings, units, places, residents and occupancies, the archive, staff; with events."""

from __future__ import annotations

import uuid

import pytest

from propdesk.common.testing.helpers import token

from .conftest import events

ID_NUMBER = "11010519491231002X"  # a valid mainland resident ID (checksum X)


async def building(intake, estate, manager, code="A1", floors=6) -> dict:
    r = await intake.post(
        f"/v1/estates/{estate['id']}/buildings",
        json={"code": code, "name": f"{code}栋", "floors": floors},
        headers=manager,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def unit(intake, estate, manager, b, number="A1-0101", floor=1, area="118.37") -> dict:
    r = await intake.post(
        f"/v1/estates/{estate['id']}/units",
        headers=manager,
        json={"building_id": b["id"], "number": number, "floor": floor, "area_m2": area},
    )
    assert r.status_code == 201, r.text
    return r.json()


class TestUnits:
    async def test_register_list_update_with_events(self, intake, estate, manager, desk, db):
        b = await building(intake, estate, manager)
        u = await unit(intake, estate, manager, b)
        assert u["state"] == "vacant" and u["area_m2"] == "118.37"
        for n in range(2, 6):
            await unit(intake, estate, manager, b, number=f"A1-0{n}01", floor=n)
        page = (
            await intake.get(
                f"/v1/estates/{estate['id']}/units", params={"limit": 2, "floor": 1}, headers=desk
            )
        ).json()
        assert [x["number"] for x in page["items"]] == ["A1-0101"]
        r = await intake.patch(f"/v1/units/{u['id']}", json={"state": "renovating"}, headers=manager)
        assert r.json()["state"] == "renovating"
        [registered, *_] = await events(db, "intake.unit.registered")
        assert registered["number"] == "A1-0101" and registered["area_m2"] == "118.37"
        [updated] = await events(db, "intake.unit.updated")
        assert updated["state"] == "renovating"

    async def test_bad_units_are_refused_and_write_nothing(self, intake, estate, manager, db):
        b = await building(intake, estate, manager, floors=3)
        await unit(intake, estate, manager, b)
        dup = await intake.post(
            f"/v1/estates/{estate['id']}/units",
            headers=manager,
            json={"building_id": b["id"], "number": "A1-0101", "floor": 1, "area_m2": "90"},
        )
        assert dup.status_code == 409 and dup.json()["type"].endswith("/duplicate-code")
        high = await intake.post(
            f"/v1/estates/{estate['id']}/units",
            headers=manager,
            json={"building_id": b["id"], "number": "A1-0901", "floor": 9, "area_m2": "90"},
        )
        assert high.status_code == 422
        foreign = await intake.post(
            f"/v1/estates/{estate['id']}/units",
            headers=manager,
            json={"building_id": str(uuid.uuid4()), "number": "X", "floor": 1, "area_m2": "90"},
        )
        assert foreign.status_code == 422 and foreign.json()["type"].endswith("/wrong-estate")
        for bad in ({"area_m2": "-1"}, {"area_m2": "12.345"}, {"kind": "castle"}, {"floor": "first"}):
            body = {"building_id": b["id"], "number": "A1-0201", "floor": 2, "area_m2": "90", **bad}
            assert (
                await intake.post(f"/v1/estates/{estate['id']}/units", json=body, headers=manager)
            ).status_code == 422
        assert len(await events(db, "intake.unit.registered")) == 1

    async def test_receptionist_cannot_change_the_geography(self, intake, estate, manager, desk):
        b = await building(intake, estate, manager)
        r = await intake.post(
            f"/v1/estates/{estate['id']}/units",
            headers=desk,
            json={"building_id": b["id"], "number": "A1-0101", "floor": 1, "area_m2": "90"},
        )
        assert r.status_code == 403

    async def test_places(self, intake, estate, manager):
        b = await building(intake, estate, manager, code="B3", floors=18)
        r = await intake.post(
            f"/v1/estates/{estate['id']}/places",
            headers=manager,
            json={"kind": "elevator", "code": "B3-EL2", "name": "3栋2号电梯轿厢", "building_id": b["id"]},
        )
        assert r.status_code == 201
        resident = token("resident", estates=[uuid.UUID(estate["id"])])
        listed = (
            await intake.get(
                f"/v1/estates/{estate['id']}/places", params={"kind": "elevator"}, headers=resident
            )
        ).json()
        assert [p["code"] for p in listed] == ["B3-EL2"]


class TestResidents:
    async def test_register_with_unit_masks_id_and_occupies_the_unit(self, intake, estate, manager, desk, db):
        u = await unit(intake, estate, manager, await building(intake, estate, manager))
        r = await intake.post(
            f"/v1/estates/{estate['id']}/residents",
            headers=desk,
            json={
                "name": "王建国",
                "phone": "138 1234 5678",
                "id_number": ID_NUMBER,
                "occupancy": {"unit_id": u["id"], "role": "owner", "started_on": "2026-01-01"},
            },
        )
        assert r.status_code == 201, r.text
        resident = r.json()
        assert resident["phone"] == "+8613812345678"
        assert resident["id_number_masked"] == "110***********002X"
        assert [o["role"] for o in resident["occupancies"]] == ["owner"]
        assert (await intake.get(f"/v1/units/{u['id']}", headers=desk)).json()["state"] == "occupied"
        dump = ""
        for table in ("resident", "resident_change", "outbox"):
            dump += " ".join(str(row) for row in await db(f"SELECT * FROM intake.{table}"))
        assert ID_NUMBER not in dump and ID_NUMBER[:17] not in dump, "the ID number is stored in plain text"
        [started] = await events(db, "intake.occupancy.started")
        assert started["role"] == "owner" and started["unit_id"] == u["id"]

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("phone", "12345"),
            ("phone", "not a phone"),
            ("id_number", "110105194912310021"),
            ("email", "nope"),
            ("language", "fr"),
        ],
    )
    async def test_bad_input_is_422_in_both_languages(self, intake, estate, desk, field, value):
        body = {"name": "李娜", "phone": "13912345678", field: value}
        for lang, word in (("zh-CN", "校验"), ("en", "Validation")):
            r = await intake.post(
                f"/v1/estates/{estate['id']}/residents", json=body, headers={**desk, "Accept-Language": lang}
            )
            assert r.status_code == 422 and word in r.json()["title"]
            assert r.json()["errors"][0]["loc"][-1] == field

    async def test_search_by_phone_name_unit_and_id(self, intake, estate, manager, desk):
        u = await unit(intake, estate, manager, await building(intake, estate, manager))
        for name, phone in (("张伟", "13800000001"), ("张敏", "13800000002"), ("李强", "13900001234")):
            body = {"name": name, "phone": phone}
            if name == "李强":
                body |= {"id_number": ID_NUMBER, "occupancy": {"unit_id": u["id"], "role": "tenant"}}
            assert (
                await intake.post(f"/v1/estates/{estate['id']}/residents", json=body, headers=desk)
            ).status_code == 201

        async def names(**q):
            page = (await intake.get(f"/v1/estates/{estate['id']}/residents", params=q, headers=desk)).json()
            return [r["name"] for r in page["items"]]

        assert await names(name="张") == ["张伟", "张敏"]
        assert await names(phone="+86 138 0000 0002") == ["张敏"]
        assert await names(phone="1234") == ["李强"]  # last digits, as callers give them
        caller = (
            await intake.get(f"/v1/estates/{estate['id']}/residents", params={"phone": "1234"}, headers=desk)
        ).json()["items"][0]  # found by phone: where they live shows at once (issue 19, item 10)
        assert [(o["unit_number"], o["role"]) for o in caller["occupancies"]] == [("A1-0101", "tenant")]
        assert await names(unit="A1-0101") == ["李强"]
        url = f"/v1/estates/{estate['id']}/residents/search-by-id-number"
        found = await intake.post(url, json={"id_number": ID_NUMBER}, headers=desk)
        assert [r["name"] for r in found.json()["items"]] == ["李强"]
        assert (
            await intake.post(url, json={"id_number": "110105194912310022"}, headers=desk)
        ).status_code == 422
        # in the query string it is not a search any more: nobody's ID number lands in an access log
        leaked = await intake.get(
            f"/v1/estates/{estate['id']}/residents", params={"id_number": ID_NUMBER}, headers=desk
        )
        assert len(leaked.json()["items"]) == 3  # the unknown parameter filters nothing
        assert await names(name="%") == []  # wildcards are literal

    async def test_archive_keeps_every_change(self, intake, estate, desk):
        rid = (
            await intake.post(
                f"/v1/estates/{estate['id']}/residents",
                headers=desk,
                json={"name": "赵丽", "phone": "13700000000"},
            )
        ).json()["id"]
        r = await intake.patch(
            f"/v1/residents/{rid}", json={"phone": "13700000009", "language": "en"}, headers=desk
        )
        assert r.status_code == 200 and r.json()["language"] == "en"
        hist = (await intake.get(f"/v1/residents/{rid}/history", headers=desk)).json()
        assert [(h["field"], h["old_value"], h["new_value"], h["actor"]) for h in hist] == [
            ("created", None, "赵丽", "desk-1"),
            ("phone", "+8613700000000", "+8613700000009", "desk-1"),
            ("language", "zh-CN", "en", "desk-1"),
        ]
        assert (await intake.patch(f"/v1/residents/{rid}", json={}, headers=desk)).status_code == 422

    async def test_resident_sees_only_themselves_and_their_units(self, intake, estate, manager, desk):
        b = await building(intake, estate, manager)
        mine, theirs = (
            await unit(intake, estate, manager, b),
            await unit(intake, estate, manager, b, number="A1-0201", floor=2),
        )
        me = (
            await intake.post(
                f"/v1/estates/{estate['id']}/residents",
                headers=desk,
                json={
                    "name": "陈静",
                    "phone": "13600000000",
                    "occupancy": {"unit_id": mine["id"], "role": "owner"},
                },
            )
        ).json()
        other = (
            await intake.post(
                f"/v1/estates/{estate['id']}/residents",
                headers=desk,
                json={
                    "name": "周杰",
                    "phone": "13600000001",
                    "occupancy": {"unit_id": theirs["id"], "role": "owner"},
                },
            )
        ).json()
        as_me = token(
            "resident", estates=[uuid.UUID(estate["id"])], units=[uuid.UUID(mine["id"])], sub=me["id"]
        )
        assert (await intake.get(f"/v1/residents/{me['id']}", headers=as_me)).status_code == 200
        assert (await intake.get(f"/v1/residents/{other['id']}", headers=as_me)).status_code == 403
        assert (await intake.get(f"/v1/units/{mine['id']}", headers=as_me)).status_code == 200
        assert (await intake.get(f"/v1/units/{theirs['id']}", headers=as_me)).status_code == 403
        assert (await intake.get(f"/v1/units/{theirs['id']}/occupancies", headers=as_me)).status_code == 403
        assert (await intake.get(f"/v1/estates/{estate['id']}/residents", headers=as_me)).status_code == 403
        assert (
            await intake.patch(f"/v1/residents/{me['id']}", json={"name": "x"}, headers=as_me)
        ).status_code == 403


class TestOccupancy:
    async def test_move_out_vacates_and_cannot_end_twice(self, intake, estate, manager, desk, db):
        u = await unit(intake, estate, manager, await building(intake, estate, manager))
        resident = (
            await intake.post(
                f"/v1/estates/{estate['id']}/residents",
                headers=desk,
                json={
                    "name": "孙涛",
                    "phone": "13500000000",
                    "occupancy": {"unit_id": u["id"], "role": "owner", "started_on": "2025-05-01"},
                },
            )
        ).json()
        occ = resident["occupancies"][0]
        early = await intake.post(
            f"/v1/occupancies/{occ['id']}/end", json={"ended_on": "2025-01-01"}, headers=desk
        )
        assert early.status_code == 422
        done = await intake.post(
            f"/v1/occupancies/{occ['id']}/end", json={"ended_on": "2026-11-01"}, headers=desk
        )
        assert done.status_code == 200 and done.json()["ended_on"] == "2026-11-01"
        assert (await intake.get(f"/v1/units/{u['id']}", headers=desk)).json()["state"] == "vacant"
        again = await intake.post(
            f"/v1/occupancies/{occ['id']}/end", json={"ended_on": "2026-11-02"}, headers=desk
        )
        assert again.status_code == 409 and again.json()["type"].endswith("/occupancy-already-ended")
        assert len(await events(db, "intake.occupancy.ended")) == 1
        history = (await intake.get(f"/v1/units/{u['id']}/occupancies", headers=desk)).json()
        assert [(h["started_on"], h["ended_on"]) for h in history] == [("2025-05-01", "2026-11-01")]
        dup = await intake.post(
            f"/v1/units/{u['id']}/occupancies",
            json={"resident_id": resident["id"], "role": "owner"},
            headers=desk,
        )
        assert dup.status_code == 201  # a new occupancy after the old one ended is fine


class TestStaff:
    async def test_directory_and_duty_roster(self, intake, estate, manager, desk, db):
        depts = (await intake.get(f"/v1/estates/{estate['id']}/departments", headers=desk)).json()
        assert {d["code"] for d in depts} == {
            "customer_service",
            "engineering",
            "security",
            "cleaning",
            "finance",
            "management",
        }
        tech = (
            await intake.post(
                f"/v1/estates/{estate['id']}/staff",
                headers=manager,
                json={
                    "name": "刘强",
                    "department": "engineering",
                    "roles": ["technician"],
                    "extension": "8012",
                    "skills": ["elevator", "electrical"],
                    "certificates": ["TSG T8"],
                },
            )
        ).json()
        await intake.post(
            f"/v1/estates/{estate['id']}/staff",
            headers=manager,
            json={"name": "黄芳", "department": "customer_service", "roles": ["receptionist"]},
        )
        techs = (
            await intake.get(f"/v1/estates/{estate['id']}/staff", params={"role": "technician"}, headers=desk)
        ).json()["items"]
        assert [t["name"] for t in techs] == ["刘强"]
        shift = await intake.post(
            f"/v1/estates/{estate['id']}/duty-shifts",
            headers=manager,
            json={
                "staff_id": tech["id"],
                "duty": "on_call_engineer",
                "starts_at": "2026-12-01T08:00:00+08:00",
                "ends_at": "2026-12-01T20:00:00+08:00",
            },
        )
        assert shift.status_code == 201
        on = (
            await intake.get(
                f"/v1/estates/{estate['id']}/on-duty",
                headers=desk,
                params={"at": "2026-12-01T12:00:00+08:00"},
            )
        ).json()
        assert [s["staff_id"] for s in on] == [tech["id"]]
        bad = await intake.post(
            f"/v1/estates/{estate['id']}/duty-shifts",
            headers=manager,
            json={
                "staff_id": tech["id"],
                "duty": "on_call_engineer",
                "starts_at": "2026-12-01T20:00:00+08:00",
                "ends_at": "2026-12-01T08:00:00+08:00",
            },
        )
        assert bad.status_code == 422
        r = await intake.patch(f"/v1/staff/{tech['id']}", json={"active": False}, headers=manager)
        assert r.json()["active"] is False
        registered = (await events(db, "intake.staff.registered"))[0]
        assert registered["skills"] == ["elevator", "electrical"]
        assert (await events(db, "intake.staff.updated"))[0]["active"] is False
