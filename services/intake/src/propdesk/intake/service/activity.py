"""The audit trail of part 2's records: one append-only activity log, read back as each record's timeline."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal, Role
from propdesk.intake.models import Activity

SYSTEM = Principal(sub="system", name="system", roles=frozenset({Role.admin}), all_estates=True)


def actor_of(principal: Principal | None) -> str:
    return "system" if principal is None else (principal.name or principal.sub)


def log(
    session: AsyncSession,
    subject_kind: str,
    subject_id: uuid.UUID,
    kind: str,
    actor: str,
    note: str | None = None,
    **data,
) -> None:
    session.add(
        Activity(
            subject_kind=subject_kind,
            subject_id=subject_id,
            kind=kind,
            actor=actor,
            note=note,
            data={k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in data.items()},
        )
    )


async def timeline(session: AsyncSession, subject_id: uuid.UUID) -> list[Activity]:
    rows = await session.execute(
        select(Activity).where(Activity.subject_id == subject_id).order_by(Activity.id)
    )
    return list(rows.scalars().all())
