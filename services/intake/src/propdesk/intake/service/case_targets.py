"""Case SLA targets: the defaults from DOMAIN.md and each estate's overrides (kind × category × severity ×
milestone)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.timeutil import BUSINESS, CLOCK
from propdesk.intake.models import CaseSlaTarget
from propdesk.intake.schemas import CaseSlaTargetRead

WORKDAY = 9 * 60  # minutes of working time in a day (09:00-18:00)

# kind, severity, milestone, minutes, calendar: the defaults from DOMAIN.md; each estate may override.
DEFAULT_TARGETS: list[tuple[str, str, str, int, str]] = [
    ("complaint", "normal", "acknowledge", 120, BUSINESS),
    ("complaint", "normal", "first_response", 24 * 60, CLOCK),
    ("complaint", "normal", "resolution", 7 * WORKDAY, BUSINESS),
    ("complaint", "major", "acknowledge", 30, CLOCK),
    ("complaint", "major", "first_response", 24 * 60, CLOCK),
    ("complaint", "major", "resolution", 7 * WORKDAY, BUSINESS),
    ("complaint", "major", "update", 24 * 60, CLOCK),
    ("inquiry", "normal", "acknowledge", 120, BUSINESS),
    ("inquiry", "normal", "first_response", 24 * 60, CLOCK),
    ("inquiry", "normal", "resolution", 3 * WORKDAY, BUSINESS),
    ("suggestion", "normal", "acknowledge", WORKDAY, BUSINESS),
    ("suggestion", "normal", "resolution", 7 * WORKDAY, BUSINESS),
    ("praise", "normal", "acknowledge", WORKDAY, BUSINESS),
]


async def targets_for(
    session: AsyncSession, estate_id: uuid.UUID, kind: str, category: str | None, severity: str
) -> dict[str, tuple[int, str]]:
    """Milestone -> (minutes, calendar): estate overrides (category-specific first), else the defaults."""
    found = {m: (mins, cal) for k, s, m, mins, cal in DEFAULT_TARGETS if k == kind and s == severity}
    rows = (
        (
            await session.execute(
                select(CaseSlaTarget)
                .where(
                    CaseSlaTarget.estate_id == estate_id,
                    CaseSlaTarget.kind == kind,
                    CaseSlaTarget.severity == severity,
                    (CaseSlaTarget.category == category) | CaseSlaTarget.category.is_(None),
                )
                .order_by(CaseSlaTarget.category.nulls_first())
            )
        )
        .scalars()
        .all()
    )
    for row in rows:  # category-specific rows come last and win
        found[row.milestone] = (row.minutes, row.calendar)
    return found


async def in_force(session: AsyncSession, estate_id: uuid.UUID) -> list[CaseSlaTargetRead]:
    """The defaults, then this estate's overrides."""
    out = [
        CaseSlaTargetRead(
            kind=k, category=None, severity=s, milestone=m, minutes=mins, calendar=cal, source="default"
        )
        for k, s, m, mins, cal in DEFAULT_TARGETS
    ]
    rows = await session.execute(select(CaseSlaTarget).where(CaseSlaTarget.estate_id == estate_id))
    return out + [CaseSlaTargetRead.model_validate(r) for r in rows.scalars()]


async def save(session: AsyncSession, estate_id: uuid.UUID, values: dict) -> CaseSlaTargetRead:
    stmt = pg_insert(CaseSlaTarget).values(id=uuid.uuid4(), estate_id=estate_id, **values)
    stmt = stmt.on_conflict_do_update(
        constraint="uq_case_sla_target_estate_id_kind_category_severity_milestone",
        set_={"minutes": values["minutes"], "calendar": values["calendar"]},
    )
    await session.execute(stmt)
    return CaseSlaTargetRead(**values, source="estate")
