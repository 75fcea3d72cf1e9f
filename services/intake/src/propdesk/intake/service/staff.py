"""The staff directory: departments, staff with roles and extensions, and the duty roster."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import any_, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts.intake import (
    DutyShiftCancelled,
    DutyShiftScheduled,
    StaffRegistered,
    StaffUpdated,
)
from propdesk.common.pagination import PageParams, paginate
from propdesk.intake.errors import DutyShiftNotFound, StaffNotFound, WrongEstate
from propdesk.intake.models import Department, DutyShift, Staff
from propdesk.intake.schemas import DutyShiftCreate, StaffCreate, StaffUpdate

DEPARTMENTS = {
    "customer_service": ("客服部", "Customer service"),
    "engineering": ("工程部", "Engineering"),
    "security": ("保安部", "Security"),
    "cleaning": ("环境部", "Cleaning"),
    "finance": ("财务部", "Finance"),
    "management": ("管理处", "Management"),
}


async def seed_departments(session: AsyncSession, estate_id: uuid.UUID) -> None:
    session.add_all(
        Department(estate_id=estate_id, code=code, name_zh=zh, name_en=en)
        for code, (zh, en) in DEPARTMENTS.items()
    )
    await session.flush()


async def departments(session: AsyncSession, estate_id: uuid.UUID) -> list[Department]:
    rows = await session.execute(
        select(Department).where(Department.estate_id == estate_id).order_by(Department.code)
    )
    return list(rows.scalars().all())


async def _department(session: AsyncSession, estate_id: uuid.UUID, code: str) -> Department:
    found = (
        await session.execute(
            select(Department).where(Department.estate_id == estate_id, Department.code == code)
        )
    ).scalar_one_or_none()
    if found is None:
        raise WrongEstate(f"department {code} does not exist in this estate")
    return found


def staff_fields(s: Staff) -> dict:
    return {
        "staff_id": s.id,
        "estate_id": s.estate_id,
        "name": s.name,
        "department": s.department.code,
        "roles": list(s.roles),
        "phone": s.phone,
        "extension": s.extension,
        "skills": list(s.skills or []),
        "certificates": list(s.certificates or []),
        "active": s.active,
    }


async def add_staff(session: AsyncSession, estate_id: uuid.UUID, data: StaffCreate) -> Staff:
    department = await _department(session, estate_id, data.department)
    staff = Staff(estate_id=estate_id, department=department, **data.model_dump(exclude={"department"}))
    session.add(staff)
    await session.flush()
    outbox.record(session, StaffRegistered(**staff_fields(staff)), aggregate_id=staff.id, estate_id=estate_id)
    return staff


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> Staff:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise StaffNotFound(f"staff member {staff_id} not found")
    return staff


async def update_staff(session: AsyncSession, staff: Staff, data: StaffUpdate) -> Staff:
    changes = data.model_dump(exclude_unset=True)
    if "department" in changes:
        staff.department = await _department(session, staff.estate_id, changes.pop("department"))
    for key, value in changes.items():
        setattr(staff, key, value)
    await session.flush()
    outbox.record(
        session, StaffUpdated(**staff_fields(staff)), aggregate_id=staff.id, estate_id=staff.estate_id
    )
    return staff


async def list_staff(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    department: str | None,
    role: str | None,
    active: bool | None,
    params: PageParams,
) -> list[Staff]:
    stmt = select(Staff).where(Staff.estate_id == estate_id)
    if department:
        stmt = stmt.join(Department).where(Department.code == department)
    if role:
        stmt = stmt.where(role == any_(Staff.roles))
    if active is not None:
        stmt = stmt.where(Staff.active.is_(active))
    stmt = paginate(stmt, params, key=Staff.name, tiebreak=Staff.id, descending=False)
    return list((await session.execute(stmt)).unique().scalars().all())


async def add_shift(session: AsyncSession, estate_id: uuid.UUID, data: DutyShiftCreate) -> DutyShift:
    staff = await get_staff(session, data.staff_id)
    if staff.estate_id != estate_id:
        raise WrongEstate("this staff member works at another estate")
    shift = DutyShift(estate_id=estate_id, **data.model_dump())
    session.add(shift)
    await session.flush()
    outbox.record(
        session, DutyShiftScheduled(**_shift_fields(shift)), aggregate_id=shift.id, estate_id=estate_id
    )
    return shift


def _shift_fields(shift: DutyShift) -> dict:
    return {
        "shift_id": shift.id,
        "estate_id": shift.estate_id,
        "staff_id": shift.staff_id,
        "duty": shift.duty,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
    }


async def cancel_shift(session: AsyncSession, estate_id: uuid.UUID, shift_id: uuid.UUID) -> None:
    """Take a shift off the roster (the services that route by it hear of it)."""
    shift = await session.get(DutyShift, shift_id, with_for_update=True)
    if shift is None or shift.estate_id != estate_id:
        raise DutyShiftNotFound(f"no duty shift {shift_id} at this estate")
    fields = _shift_fields(shift)
    await session.delete(shift)
    await session.flush()
    outbox.record(session, DutyShiftCancelled(**fields), aggregate_id=shift_id, estate_id=estate_id)


async def on_duty(
    session: AsyncSession, estate_id: uuid.UUID, at: dt.datetime, duty: str | None
) -> list[DutyShift]:
    stmt = select(DutyShift).where(
        DutyShift.estate_id == estate_id, DutyShift.starts_at <= at, DutyShift.ends_at > at
    )
    if duty:
        stmt = stmt.where(DutyShift.duty == duty)
    return list((await session.execute(stmt.order_by(DutyShift.starts_at))).scalars().all())
