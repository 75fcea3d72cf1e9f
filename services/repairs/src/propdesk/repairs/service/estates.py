"""repairs's part of estate onboarding: keep the projection, seed the defaults (SLA targets, settings, a
starter price list), say so."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.contracts.repairs import EstateProvisioned
from propdesk.common.events import Envelope
from propdesk.repairs.models import EstateSettings, PriceItem, SlaTarget, estate

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


async def require_estate(session: AsyncSession, estate_id: uuid.UUID) -> None:
    await projections.require_known_estate(session, estate, estate_id, "repairs")


async def sla_targets(session: AsyncSession, estate_id: uuid.UUID) -> list[SlaTarget]:
    await require_estate(session, estate_id)
    rows = await session.execute(
        select(SlaTarget)
        .where(SlaTarget.estate_id == estate_id)
        .order_by(SlaTarget.category.nulls_first(), SlaTarget.id)
    )
    return list(rows.scalars().all())


async def settings_for(session: AsyncSession, estate_id: uuid.UUID) -> EstateSettings:
    row = await session.get(EstateSettings, estate_id)
    return row or EstateSettings(
        estate_id=estate_id,
        labour_rate_fen_per_hour=8000,
        duplicate_window_minutes=240,
        auto_close_days=7,
        auto_dispatch=True,
    )


async def timezone_of(session: AsyncSession, estate_id: uuid.UUID) -> str:
    tz = (await session.execute(select(estate.c.timezone).where(estate.c.id == estate_id))).scalar()
    return tz or "Asia/Shanghai"
