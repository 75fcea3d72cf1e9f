"""repairs's part of estate onboarding: keep the projection, seed the defaults (SLA targets, settings, a
starter price list), say so."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections
from propdesk.common.cache import TTLCache
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.contracts.repairs import EstateProvisioned
from propdesk.common.events import Envelope
from propdesk.repairs.models import EstateSettings, PriceItem, SlaTarget, estate
from propdesk.repairs.schemas import RepairSettings

WORKDAY = 9 * 60
DEFAULTS = [
    # urgency, milestone, minutes, calendar ("clock" = around the clock, "business" = working hours)
    ("emergency", "acknowledge", 5, "clock"),
    ("emergency", "dispatch", 10, "clock"),
    ("emergency", "arrive", 30, "clock"),  # 急修: on site <= 30 min, 24 h intake
    ("emergency", "complete", 4 * 60, "clock"),
    ("urgent", "acknowledge", 15, "clock"),  # urgent repair: response <= 15 min
    ("urgent", "dispatch", 30, "clock"),
    ("urgent", "arrive", 120, "clock"),
    ("urgent", "complete", WORKDAY, "business"),
    ("normal", "acknowledge", 120, "clock"),  # normal repair accepted <= 2 h
    ("normal", "dispatch", 240, "clock"),
    ("normal", "complete", 3 * WORKDAY, "business"),  # done in 3 working days
    ("scheduled", "complete", 7 * WORKDAY, "business"),
]
PRICE_LIST = [  # code, name, unit, fen
    ("TAP-01", "水龙头（普通）", "个", 4500),
    ("VALVE-01", "角阀", "个", 2800),
    ("PIPE-PPR20", "PPR 水管 20mm", "米", 1200),
    ("SEAL-01", "密封圈/生料带", "套", 500),
    ("SWITCH-01", "开关面板", "个", 2500),
    ("SOCKET-01", "五孔插座", "个", 3000),
    ("BREAKER-01", "空气开关 16A", "个", 6500),
    ("LOCK-01", "门锁锁芯", "个", 12000),
    ("HINGE-01", "合页", "个", 1500),
    ("LED-01", "LED 灯泡 9W", "个", 1800),
]


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    rows = [
        SlaTarget(
            estate_id=event.estate_id,
            **dict(zip(("urgency", "milestone", "target_minutes", "calendar"), row, strict=True)),
        )
        for row in DEFAULTS
    ]
    prices = [
        PriceItem(estate_id=event.estate_id, code=c, name=n, unit=u, price_fen=f, active=True)
        for c, n, u, f in PRICE_LIST
    ]
    await projections.provision_estate(
        session,
        estate,
        event,
        envelope,
        defaults=[EstateSettings(estate_id=event.estate_id), *rows, *prices],
        provisioned=EstateProvisioned(
            estate_id=event.estate_id, detail={"sla_target_rows": len(DEFAULTS), "price_items": len(prices)}
        ),
    )


# Per-process cache of estate configuration read on every report (time zone, settings, SLA targets). A change
# made through this process drops it once committed; other replicas see it within TTL seconds.
_cache = TTLCache(ttl=5.0)


def invalidate(session: AsyncSession, estate_id: uuid.UUID) -> None:
    _cache.invalidate_where(session, lambda k: k[1] == estate_id)


async def require_estate(session: AsyncSession, estate_id: uuid.UUID) -> None:
    if _cache.read(session, ("tz", estate_id), None) is None:
        await projections.require_known_estate(session, estate, estate_id, "repairs")


async def sla_targets(session: AsyncSession, estate_id: uuid.UUID) -> list[SlaTarget]:
    await require_estate(session, estate_id)
    rows = await session.execute(
        select(SlaTarget)
        .where(SlaTarget.estate_id == estate_id)
        .order_by(SlaTarget.category.nulls_first(), SlaTarget.id)
    )
    return list(rows.scalars().all())


async def settings_for(session: AsyncSession, estate_id: uuid.UUID) -> RepairSettings:
    async def load() -> RepairSettings:
        row = await session.get(EstateSettings, estate_id)
        if row is None:
            return RepairSettings()
        return RepairSettings(
            labour_rate_fen_per_hour=row.labour_rate_fen_per_hour,
            duplicate_window_minutes=row.duplicate_window_minutes,
            auto_close_days=row.auto_close_days,
            auto_dispatch=row.auto_dispatch,
        )

    return await _cache.load(session, ("settings", estate_id), load)


async def timezone_of(session: AsyncSession, estate_id: uuid.UUID) -> str:
    if (hit := _cache.read(session, ("tz", estate_id), None)) is not None:
        return hit
    tz = (await session.execute(select(estate.c.timezone).where(estate.c.id == estate_id))).scalar()
    return _cache.stage(session, ("tz", estate_id), tz, ttl=60.0) if tz else "Asia/Shanghai"


async def targets(
    session: AsyncSession, estate_id: uuid.UUID, category: str, urgency: str
) -> dict[str, tuple[int, str]]:
    """Milestone -> (minutes, calendar) for this category and urgency; the category's own rows win."""

    async def load() -> dict[str, tuple[int, str]]:
        rows = (
            await session.execute(
                select(SlaTarget)
                .where(
                    SlaTarget.estate_id == estate_id,
                    SlaTarget.urgency == urgency,
                    (SlaTarget.category == category) | SlaTarget.category.is_(None),
                )
                .order_by(SlaTarget.category.nulls_first())
            )
        ).scalars()
        found: dict[str, tuple[int, str]] = {}
        for row in rows:  # the category's own rows come last and win
            found[row.milestone] = (row.target_minutes, row.calendar)
        return found

    return dict(await _cache.load(session, ("targets", estate_id, category, urgency), load))


async def put_sla_target(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    urgency: str,
    milestone: str,
    category: str | None,
    target_minutes: int,
    calendar: str,
) -> uuid.UUID:
    await require_estate(session, estate_id)
    values = {
        "urgency": urgency,
        "milestone": milestone,
        "category": category,
        "target_minutes": target_minutes,
        "calendar": calendar,
    }
    stmt = pg_insert(SlaTarget).values(id=uuid.uuid4(), estate_id=estate_id, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["estate_id", "urgency", "milestone", "category"],
        set_={"target_minutes": target_minutes, "calendar": calendar},
    ).returning(SlaTarget.id)
    target_id = (await session.execute(stmt)).scalar_one()
    invalidate(session, estate_id)
    return target_id


async def put_settings(
    session: AsyncSession, estate_id: uuid.UUID, settings: RepairSettings
) -> RepairSettings:
    await require_estate(session, estate_id)
    stmt = pg_insert(EstateSettings).values(estate_id=estate_id, **settings.model_dump())
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["estate_id"], set_=settings.model_dump())
    )
    invalidate(session, estate_id)
    return settings


async def price_list(session: AsyncSession, estate_id: uuid.UUID) -> list[PriceItem]:
    await require_estate(session, estate_id)
    rows = await session.execute(
        select(PriceItem).where(PriceItem.estate_id == estate_id).order_by(PriceItem.code)
    )
    return list(rows.scalars())


async def put_price_item(session: AsyncSession, estate_id: uuid.UUID, values: dict) -> PriceItem:
    await require_estate(session, estate_id)
    stmt = pg_insert(PriceItem).values(id=uuid.uuid4(), estate_id=estate_id, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["estate_id", "code"], set_={k: v for k, v in values.items() if k != "code"}
    ).returning(PriceItem)
    return (await session.execute(stmt)).scalar_one()
