"""Recipients' preferences: opt in or out of a category (or `*`, every category) on a channel (or `*`)."""

from __future__ import annotations

import uuid

from sqlalchemy import any_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.cache import TTLCache
from propdesk.notify.models import Preference
from propdesk.notify.service.planning import Preferences

# Each person's saved choices, per process, forgotten when they change through this process (once committed).
CACHE = TTLCache(ttl=5.0)
_UNSEEN = object()


async def for_people(
    session: AsyncSession, recipient_ids: list[uuid.UUID], category: str, *, cache: bool = True
) -> dict[uuid.UUID, Preferences]:
    """Each person's preferences for the category (equal choices share one object). Each cache entry is read
    once: one that expires while the others load must not lose its choices. A broadcast to thousands reads
    them in one query without the cache (`cache=False`): it would only evict everyone else."""
    saved: dict[uuid.UUID, list[tuple[str, str, bool]]] = {}
    missing = []
    for recipient_id in dict.fromkeys(recipient_ids):
        hit = CACHE.read(session, recipient_id, _UNSEEN) if cache else _UNSEEN
        if hit is _UNSEEN:
            missing.append(recipient_id)
        else:
            saved[recipient_id] = hit
    if missing:
        loaded: dict[uuid.UUID, list[tuple[str, str, bool]]] = {i: [] for i in missing}
        rows = await session.execute(
            select(
                Preference.recipient_id, Preference.category, Preference.channel, Preference.enabled
            ).where(Preference.recipient_id == any_(missing))
        )
        for recipient_id, saved_category, channel, enabled in rows:
            loaded[recipient_id].append((saved_category, channel, enabled))
        for recipient_id, prefs in loaded.items():
            saved[recipient_id] = CACHE.stage(session, recipient_id, prefs) if cache else prefs
    shared: dict[tuple, Preferences] = {}
    out = {}
    for recipient_id, prefs in saved.items():
        key = tuple(prefs)
        out[recipient_id] = shared.get(key) or shared.setdefault(key, Preferences(prefs, category))
    return out


async def of(session: AsyncSession, recipient_id: uuid.UUID) -> list[Preference]:
    return list(
        (await session.execute(select(Preference).where(Preference.recipient_id == recipient_id))).scalars()
    )


async def choose(
    session: AsyncSession, recipient_id: uuid.UUID, *, category: str, channel: str, enabled: bool
) -> list[Preference]:
    stmt = pg_insert(Preference).values(
        recipient_id=recipient_id, category=category, channel=channel, enabled=enabled
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["recipient_id", "category", "channel"], set_={"enabled": enabled}
        )
    )
    CACHE.invalidate(session, recipient_id)
    return await of(session, recipient_id)
