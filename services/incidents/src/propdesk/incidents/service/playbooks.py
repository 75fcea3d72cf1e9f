"""Which playbook an estate runs: its own latest version of a key, else the seeded one."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.incidents.models import EstatePlaybook
from propdesk.incidents.playbook import Playbook, parse, seeded

SEEDED = seeded()


async def effective(session: AsyncSession, estate_id: uuid.UUID, key: str) -> tuple[Playbook, str] | None:
    """(playbook, where it comes from: 'seeded' or 'estate'), or None when no such playbook exists."""
    row = (
        await session.execute(
            select(EstatePlaybook)
            .where(EstatePlaybook.estate_id == estate_id, EstatePlaybook.key == key)
            .order_by(EstatePlaybook.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is not None:
        return Playbook.model_validate(row.document), "estate"
    if key in SEEDED:
        return SEEDED[key][0], "seeded"
    return None


async def all_effective(session: AsyncSession, estate_id: uuid.UUID) -> list[tuple[Playbook, str]]:
    keys = set(SEEDED) | set(
        (
            await session.execute(select(EstatePlaybook.key).where(EstatePlaybook.estate_id == estate_id))
        ).scalars()
    )
    return [found for key in sorted(keys) if (found := await effective(session, estate_id, key)) is not None]


async def save(session: AsyncSession, estate_id: uuid.UUID, key: str, text: str, actor: str) -> Playbook:
    """Validate and store an estate's version; its version number follows the latest one in force."""
    book = parse(text)
    if book.key != key:
        from propdesk.incidents.playbook import PlaybookInvalid

        raise PlaybookInvalid([f"key: the document's key {book.key!r} is not {key!r}"])
    latest = (
        await session.execute(
            select(func.max(EstatePlaybook.version)).where(
                EstatePlaybook.estate_id == estate_id, EstatePlaybook.key == key
            )
        )
    ).scalar() or (SEEDED[key][0].version if key in SEEDED else 0)
    book = book.model_copy(update={"version": latest + 1})
    session.add(
        EstatePlaybook(
            estate_id=estate_id,
            key=key,
            version=book.version,
            source=text,
            document=book.model_dump(mode="json"),
            created_by=actor,
        )
    )
    await session.flush()
    return book
