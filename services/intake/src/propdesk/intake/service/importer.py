"""Bulk import of units and residents from CSV or XLSX (an estate has thousands).

Every row is validated first and the report names each bad row and why. With errors, nothing is written
unless `skip_bad_rows` is set; then the good rows are written and the bad ones reported. Writes are
set-based: one multi-row INSERT per chunk for rows and for their events.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.auth import Principal
from propdesk.common.contracts.intake import (
    OccupancyStarted,
    ResidentRegistered,
    UnitRegistered,
    UnitUpdated,
)
from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.ids import uuid7
from propdesk.common.inputs import bad_text
from propdesk.common.tables import MAX_FIELD, read_csv
from propdesk.common.timeutil import utcnow
from propdesk.intake.errors import ImportRejected
from propdesk.intake.models import Building, Occupancy, Resident, ResidentChange, Unit
from propdesk.intake.schemas import (
    Area,
    Code,
    IdNumber,
    ImportReport,
    ImportRowError,
    Input,
    Language,
    OccupancyRole,
    Phone,
    UnitKind,
    UnitState,
)
from propdesk.intake.service.estates import get_estate
from propdesk.intake.service.people import occupancy_fields, resident_fields
from propdesk.intake.service.registry import building_event, unit_fields
from propdesk.intake.validation import hash_id_number, mask_id_number

CSV_TYPES = {"text/csv", "application/csv", "text/plain"}
XLSX_TYPES = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CHUNK = 5000


class UnitRow(Input):
    json_types = False  # cells are text
    building: Code
    number: str
    floor: int
    area_m2: Area
    kind: UnitKind = "residential"
    state: UnitState = "vacant"
    entrance: str | None = None


class ResidentRow(Input):
    json_types = False
    name: str
    phone: Phone
    email: str | None = None
    language: Language = "zh-CN"
    id_number: IdNumber | None = None
    unit: str | None = None
    role: OccupancyRole = "owner"
    started_on: dt.date | None = None


def read_table(content: bytes, content_type: str) -> list[dict[str, str]]:
    """Rows as dicts keyed by the header row; blank cells and blank lines dropped."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in XLSX_TYPES:
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds (zip, xml, key errors) for a broken file
            raise ValueError(f"not a readable .xlsx file ({type(exc).__name__})") from exc
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        records = [{h: _cell(v) for h, v in zip(header, row, strict=False) if h} for row in rows]
        for n, record in enumerate(records, start=2):
            for value in record.values():
                if len(value) > MAX_FIELD or bad_text(value):
                    raise InvalidInput(
                        Text(
                            f"第 {n} 行：单元格过长或含控制字符",
                            f"row {n}: a cell is too long or holds control characters",
                        )
                    )
    elif kind in CSV_TYPES:
        records = read_csv(content.decode("utf-8-sig"))
    else:
        raise ValueError(f"unsupported content type {content_type!r}: send text/csv or an .xlsx file")
    return [{k: v for k, v in r.items() if v not in ("", None)} for r in records]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _validate(
    model: type[BaseModel], records: list[dict]
) -> tuple[list[tuple[int, Any]], list[ImportRowError]]:
    good, errors = [], []
    for index, record in enumerate(records, start=2):
        try:
            good.append((index, model.model_validate(record)))
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc") or ("",)
                errors.append(ImportRowError(row=index, field=str(loc[0]) or None, message=err["msg"]))
    return good, errors


def _finish(kind: str, total: int, written: int, errors: list[ImportRowError], skip: bool) -> ImportReport:
    report = ImportReport(
        kind=kind,
        rows=total,
        imported=written,
        skipped=len({e.row for e in errors}),
        errors=sorted(errors, key=lambda e: e.row),
    )
    if errors and not skip:
        raise ImportRejected(
            f"{len({e.row for e in errors})} of {total} rows have errors",
            report=report.model_dump(mode="json"),
        )
    return report


def _row(values: dict) -> SimpleNamespace:
    """A written row seen as the object the service's snapshot helpers read."""
    return SimpleNamespace(**values)


async def _chunks(session: AsyncSession, table, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        await session.execute(insert(table), rows[i : i + CHUNK])


async def _events(session: AsyncSession, items: Iterable, estate_id: uuid.UUID) -> None:
    items = list(items)
    for i in range(0, len(items), CHUNK):
        outbox.record_many(session, items[i : i + CHUNK], estate_id=estate_id)


async def import_units(
    session: AsyncSession,
    estate_id: uuid.UUID,
    records: list[dict],
    *,
    skip_bad_rows: bool,
    principal: Principal,
) -> ImportReport:
    await get_estate(session, estate_id)
    good, errors = _validate(UnitRow, records)
    buildings = {
        b.code: b
        for b in (await session.execute(select(Building).where(Building.estate_id == estate_id))).scalars()
    }
    existing = set((await session.execute(select(Unit.number).where(Unit.estate_id == estate_id))).scalars())
    seen: dict[str, int] = {}
    rows: list[tuple[int, UnitRow]] = []
    for index, row in good:
        if row.number in existing:
            errors.append(
                ImportRowError(row=index, field="number", message=f"unit {row.number} already exists")
            )
        elif row.number in seen:
            errors.append(
                ImportRowError(
                    row=index, field="number", message=f"unit {row.number} repeats row {seen[row.number]}"
                )
            )
        elif row.building in buildings and row.floor > buildings[row.building].floors:
            errors.append(
                ImportRowError(
                    row=index,
                    field="floor",
                    message=f"building {row.building} has {buildings[row.building].floors} floors",
                )
            )
        else:
            seen[row.number] = index
            rows.append((index, row))
    if errors and not skip_bad_rows:
        return _finish("units", len(records), 0, errors, False)
    now = utcnow()
    new_buildings = []
    for code in sorted({r.building for _, r in rows} - set(buildings)):
        top = max(r.floor for _, r in rows if r.building == code)
        building = {
            "id": uuid7(),
            "estate_id": estate_id,
            "code": code,
            "name": code,
            "floors": max(top, 1),
            "elevators": 0,
            "created_at": now,
            "updated_at": now,
        }
        new_buildings.append(building)
        buildings[code] = Building(**building)
    await _chunks(session, Building.__table__, new_buildings)
    unit_rows = [
        {
            "id": uuid7(),
            "estate_id": estate_id,
            "building_id": buildings[r.building].id,
            "entrance": r.entrance,
            "number": r.number,
            "floor": r.floor,
            "area_m2": r.area_m2,
            "kind": r.kind,
            "state": r.state,
            "created_at": now,
            "updated_at": now,
        }
        for _, r in rows
    ]
    await _chunks(session, Unit.__table__, unit_rows)
    await _events(session, [(building_event(_row(b)), b["id"]) for b in new_buildings], estate_id)
    await _events(session, [(UnitRegistered(**unit_fields(_row(u))), u["id"]) for u in unit_rows], estate_id)
    return _finish("units", len(records), len(unit_rows), errors, skip_bad_rows)


async def import_residents(
    session: AsyncSession,
    estate_id: uuid.UUID,
    records: list[dict],
    *,
    skip_bad_rows: bool,
    principal: Principal,
    id_key: str,
) -> ImportReport:
    await get_estate(session, estate_id)
    good, errors = _validate(ResidentRow, records)
    units = {
        n: (uid, state, u)
        for n, uid, state, u in (
            await session.execute(
                select(Unit.number, Unit.id, Unit.state, Unit).where(Unit.estate_id == estate_id)
            )
        ).all()
    }
    rows = []
    for index, row in good:
        if row.unit is not None and row.unit not in units:
            errors.append(
                ImportRowError(
                    row=index, field="unit", message=f"unit {row.unit} does not exist in this estate"
                )
            )
        else:
            rows.append(row)
    if errors and not skip_bad_rows:
        return _finish("residents", len(records), 0, errors, False)
    now, today, actor = utcnow(), dt.date.today(), principal.name or principal.sub
    residents, changes, occupancies = [], [], []
    for row in rows:
        rid = uuid7()
        residents.append(
            {
                "id": rid,
                "estate_id": estate_id,
                "name": row.name,
                "phone": row.phone,
                "email": row.email,
                "language": row.language,
                "created_at": now,
                "updated_at": now,
                "id_number_masked": mask_id_number(row.id_number) if row.id_number else None,
                "id_number_hash": hash_id_number(row.id_number, id_key) if row.id_number else None,
            }
        )
        changes.append(
            {
                "id": uuid7(),
                "resident_id": rid,
                "field": "created",
                "old_value": None,
                "new_value": row.name,
                "actor": actor,
                "changed_at": now,
            }
        )
        if row.unit is not None:
            occupancies.append(
                {
                    "id": uuid7(),
                    "estate_id": estate_id,
                    "unit_id": units[row.unit][0],
                    "resident_id": rid,
                    "role": row.role,
                    "started_on": row.started_on or today,
                    "ended_on": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    await _chunks(session, Resident.__table__, residents)
    await _chunks(session, ResidentChange.__table__, changes)
    await _chunks(session, Occupancy.__table__, occupancies)
    await _events(
        session, [(ResidentRegistered(**resident_fields(_row(r))), r["id"]) for r in residents], estate_id
    )
    await _events(
        session,
        [(OccupancyStarted(**occupancy_fields(_row(o))), o["unit_id"]) for o in occupancies],
        estate_id,
    )
    occupied = {o["unit_id"] for o in occupancies if o["role"] in ("owner", "tenant")}
    to_occupy = [u for uid, state, u in units.values() if uid in occupied and state == "vacant"]
    if to_occupy:
        await session.execute(
            update(Unit)
            .where(Unit.id.in_([u.id for u in to_occupy]))
            .values(state="occupied", updated_at=now)
        )
        await _events(
            session,
            [(UnitUpdated(**{**unit_fields(u), "state": "occupied"}), u.id) for u in to_occupy],
            estate_id,
        )
    return _finish("residents", len(records), len(residents), errors, skip_bad_rows)
