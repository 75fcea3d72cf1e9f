"""Bulk import: CSV and XLSX, a row-level error report, all or nothing unless asked to skip bad rows;
and re-publishing the registry for a new consumer."""

from __future__ import annotations

import io

from openpyxl import Workbook

from .conftest import ADMIN, events

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_of(header: str, *rows: str) -> bytes:
    return ("\ufeff" + "\n".join([header, *rows]) + "\n").encode()


def xlsx_of(header: list[str], *rows: list) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def upload(intake, estate, kind, body, headers, content_type="text/csv", **params):
    return await intake.post(
        f"/v1/estates/{estate['id']}/imports/{kind}",
        content=body,
        params=params,
        headers={**headers, "content-type": content_type},
    )


UNITS = csv_of(
    "building,number,floor,area_m2,kind,state",
    "A1,A1-0101,1,118.37,residential,vacant",
    "A1,A1-0201,2,96.00,residential,vacant",
    "C1,C1-商铺01,1,75.5,shop,occupied",
)


class TestImportUnits:
    async def test_csv_creates_buildings_units_and_events(self, intake, estate, manager, desk, db):
        r = await upload(intake, estate, "units", UNITS, manager)
        assert r.status_code == 201, r.text
        assert r.json() == {"kind": "units", "rows": 3, "imported": 3, "skipped": 0, "errors": []}
        buildings = (await intake.get(f"/v1/estates/{estate['id']}/buildings", headers=desk)).json()
        assert [(b["code"], b["floors"]) for b in buildings] == [("A1", 2), ("C1", 1)]
        assert len(await events(db, "intake.unit.registered")) == 3
        assert len(await events(db, "intake.building.registered")) == 2

    async def test_bad_rows_reject_everything_with_a_report(self, intake, estate, manager, db):
        body = csv_of(
            "building,number,floor,area_m2",
            "A1,A1-0101,1,118.37",
            "A1,A1-0102,one,90",
            "A1,A1-0101,1,90",
            "A1,A1-0103,1,-5",
        )
        r = await upload(intake, estate, "units", body, {**manager, "Accept-Language": "en"})
        assert r.status_code == 422
        problem = r.json()
        assert problem["title"] == "The file has errors; nothing was imported"
        assert [(e["row"], e["field"]) for e in problem["report"]["errors"]] == [
            (3, "floor"),
            (4, "number"),
            (5, "area_m2"),
        ]
        assert await db("SELECT count(*) FROM intake.unit") == [(0,)]
        assert await events(db, "intake.unit.registered") == []
        ok = await upload(intake, estate, "units", body, manager, skip_bad_rows="true")
        assert ok.status_code == 201 and (ok.json()["imported"], ok.json()["skipped"]) == (1, 3)

    async def test_xlsx_and_unsupported_files(self, intake, estate, manager):
        body = xlsx_of(
            ["building", "number", "floor", "area_m2"], ["B2", "B2-0101", 1, 88.5], ["B2", "B2-0102", 1, 90]
        )
        r = await upload(intake, estate, "units", body, manager, content_type=XLSX)
        assert r.status_code == 201 and r.json()["imported"] == 2
        assert (
            await upload(intake, estate, "units", b"%PDF", manager, content_type="application/pdf")
        ).status_code == 415
        assert (
            await upload(intake, estate, "units", b"\x00\x01garbage", manager, content_type=XLSX)
        ).status_code == 415
        assert (await upload(intake, estate, "units", UNITS, {})).status_code == 401


class TestImportResidents:
    async def test_residents_with_units_and_row_errors(self, intake, estate, manager, desk, db):
        await upload(intake, estate, "units", UNITS, manager)
        body = csv_of(
            "name,phone,unit,role,id_number",
            "王建国,13812345678,A1-0101,owner,11010519491231002X",
            "李娜,12345,A1-0101,household_member,",
            "张伟,13912345678,Z9-9999,owner,",
            "赵丽,13712345678,A1-0201,tenant,",
        )
        rejected = await upload(intake, estate, "residents", body, manager)
        assert rejected.status_code == 422
        assert [(e["row"], e["field"]) for e in rejected.json()["report"]["errors"]] == [
            (3, "phone"),
            (4, "unit"),
        ]
        r = await upload(intake, estate, "residents", body, manager, skip_bad_rows="true")
        assert (r.json()["imported"], r.json()["skipped"]) == (2, 2)
        page = (
            await intake.get(
                f"/v1/estates/{estate['id']}/residents", params={"unit": "A1-0101"}, headers=desk
            )
        ).json()
        [wang] = page["items"]
        assert wang["id_number_masked"] == "110***********002X"
        units = (
            await intake.get(f"/v1/estates/{estate['id']}/units", params={"state": "occupied"}, headers=desk)
        ).json()
        assert sorted(u["number"] for u in units["items"]) == ["A1-0101", "A1-0201", "C1-商铺01"]
        assert len(await events(db, "intake.occupancy.started")) == 2
        assert len(await events(db, "intake.unit.updated")) == 2
        assert "11010519491231002X" not in str(await db("SELECT * FROM intake.outbox"))


class TestRepublish:
    async def test_republish_records_a_snapshot_of_everything(self, intake, estate, manager, db):
        await upload(intake, estate, "units", UNITS, manager)
        await upload(
            intake, estate, "residents", csv_of("name,phone,unit", "王建国,13812345678,A1-0101"), manager
        )
        before = (await db("SELECT count(*) FROM intake.outbox"))[0][0]
        r = await intake.post("/admin/republish", headers=ADMIN)
        assert r.status_code == 200
        # 1 estate + 2 buildings + 3 units + 1 resident + 1 occupancy
        assert r.json()["events"] == 8
        assert (await db("SELECT count(*) FROM intake.outbox"))[0][0] == before + 8
        assert (await intake.post("/admin/republish", headers=manager)).status_code == 403
