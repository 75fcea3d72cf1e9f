"""Planned outages (计划停水停电): a notice sent at the right time (water at least 24 h ahead; power as soon as
the utility tells us), a reminder before it starts and an all-clear when it ends, each a durable timer and a
broadcast to the buildings (and floors) affected."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, projections, timers
from propdesk.common.contracts import incidents as ev
from propdesk.common.errors import IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.ids import human_ref
from propdesk.common.timeutil import to_local, utcnow
from propdesk.incidents.errors import IncidentNotFound
from propdesk.incidents.models import Broadcast, PlannedOutage, estate

WATER_LEAD = dt.timedelta(hours=24)
REMINDER_BEFORE = dt.timedelta(hours=2)
WORDS = {"water": ("停水", "water"), "power": ("停电", "power")}


def _texts(o: PlannedOutage, purpose: str, tz: str) -> tuple[str, str, str, str]:
    zh, en = WORDS[o.kind]
    start, end = to_local(o.starts_at, tz), to_local(o.ends_at, tz)
    span_zh, span_en = (
        f"{start:%m月%d日 %H:%M} 至 {end:%m月%d日 %H:%M}",
        f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}",
    )
    return {
        "outage_notice": (
            f"计划{zh}通知",
            f"因{o.reason}，{span_zh}{zh}，请提前做好准备。",
            f"Planned {en} cut",
            f"There will be no {en} from {span_en} ({o.reason}). Please prepare.",
        ),
        "outage_reminder": (
            f"{zh}提醒",
            f"{zh}将于 {start:%H:%M} 开始，预计 {end:%H:%M} 恢复。",
            f"{en.capitalize()} cut soon",
            f"The {en} goes off at {start:%H:%M} and is expected back at {end:%H:%M}.",
        ),
        "outage_all_clear": (
            f"已恢复{'供水' if o.kind == 'water' else '供电'}",
            f"{zh}已结束，感谢您的理解。",
            f"{en.capitalize()} is back",
            f"The planned {en} cut is over. Thank you for your patience.",
        ),
        "outage_cancelled": (
            f"计划{zh}取消",
            f"原定 {span_zh} 的{zh}已取消。",
            f"Planned {en} cut cancelled",
            f"The {en} cut planned for {span_en} is cancelled.",
        ),
    }[purpose]


async def schedule(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    kind: str,
    building_ids: list[uuid.UUID],
    floors: list[int],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    notice_at: dt.datetime | None,
    actor: str,
) -> PlannedOutage:
    await projections.require_known_estate(session, estate, estate_id, "incidents")
    now = utcnow()
    notice_at = max(notice_at or now, now)
    if ends_at <= starts_at:
        raise InvalidInput(Text("结束时间须晚于开始时间", "ends_at must be after starts_at"))
    if starts_at <= notice_at:
        raise InvalidInput(Text("通知须早于停水停电开始", "The notice must go out before the outage starts"))
    if kind == "water" and starts_at - notice_at < WATER_LEAD:
        raise InvalidInput(
            Text(
                "计划停水须至少提前 24 小时通知",
                "A planned water cut must be announced at least 24 hours ahead",
            ),
            lead_hours=round((starts_at - notice_at).total_seconds() / 3600, 1),
        )
    number = (await session.execute(text("SELECT nextval('incidents.incident_number')"))).scalar_one()
    o = PlannedOutage(
        estate_id=estate_id,
        reference=human_ref("OUT", f"{to_local(now):%Y%m}", number),
        kind=kind,
        building_ids=building_ids,
        floors=floors,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        notice_at=notice_at,
        reminder_at=max(starts_at - REMINDER_BEFORE, notice_at + dt.timedelta(minutes=1)),
        state="scheduled",
        created_by=actor,
    )
    session.add(o)
    await session.flush()
    timers.schedule_many(
        session,
        [
            {
                "kind": "outage.send",
                "key": f"outage:{o.id}:{purpose}",
                "due_at": at,
                "payload": {"outage_id": str(o.id), "purpose": purpose},
            }
            for purpose, at in (
                ("outage_notice", o.notice_at),
                ("outage_reminder", o.reminder_at),
                ("outage_all_clear", o.ends_at),
            )
        ],
    )
    return o


async def send(session: AsyncSession, outage_id: uuid.UUID, purpose: str) -> None:
    o = await timers.lock_or_defer(session, PlannedOutage, outage_id)
    if o is None or o.state == "cancelled":
        return
    stamp = {
        "outage_notice": "noticed_at",
        "outage_reminder": "reminded_at",
        "outage_all_clear": "all_clear_at",
    }[purpose]
    if getattr(o, stamp) is not None:
        return
    await _broadcast(session, o, purpose)
    setattr(o, stamp, utcnow())
    o.state = {"outage_notice": "noticed", "outage_reminder": "reminded", "outage_all_clear": "ended"}[
        purpose
    ]
    await session.flush()


async def cancel(session: AsyncSession, o: PlannedOutage, *, actor: str) -> PlannedOutage:
    if o.state in ("ended", "cancelled"):
        raise IllegalTransition(
            Text("该计划已结束或已取消", "This outage is over or cancelled"), state=o.state, action="cancel"
        )
    timers.cancel_many(
        session, [f"outage:{o.id}:{p}" for p in ("outage_notice", "outage_reminder", "outage_all_clear")]
    )
    if o.noticed_at is not None:  # residents were told: tell them it is off
        await _broadcast(session, o, "outage_cancelled")
    o.state = "cancelled"
    await session.flush()
    return o


async def _broadcast(session: AsyncSession, o: PlannedOutage, purpose: str) -> None:
    tz = (
        await session.execute(
            text("SELECT timezone FROM incidents.estate WHERE id = :id"), {"id": o.estate_id}
        )
    ).scalar() or "Asia/Shanghai"
    title_zh, body_zh, title_en, body_en = _texts(o, purpose, tz)
    scope = (
        {"building_ids": [str(b) for b in o.building_ids], "floors": list(o.floors)}
        if o.building_ids
        else {"all_residents": True}
    )
    b = Broadcast(
        estate_id=o.estate_id,
        outage_id=o.id,
        purpose=purpose,
        scope=scope,
        title_zh=title_zh,
        body_zh=body_zh,
        title_en=title_en,
        body_en=body_en,
        ask_reply=False,
        staff_only=False,
        sent_at=utcnow(),
        sent_by="system",
    )
    session.add(b)
    await session.flush()
    outbox.record(
        session,
        ev.BroadcastRequested(
            broadcast_id=b.id,
            estate_id=o.estate_id,
            outage_id=o.id,
            reference=o.reference,
            purpose=purpose,
            title_zh=title_zh,
            body_zh=body_zh,
            title_en=title_en,
            body_en=body_en,
            critical=False,
            **scope,
        ),
        aggregate_id=o.id,
        estate_id=o.estate_id,
    )


async def of_estate(session: AsyncSession, estate_id: uuid.UUID) -> list[PlannedOutage]:
    """Soonest first."""
    rows = await session.execute(
        select(PlannedOutage).where(PlannedOutage.estate_id == estate_id).order_by(PlannedOutage.starts_at)
    )
    return list(rows.scalars())


async def get(session: AsyncSession, outage_id: uuid.UUID, principal) -> PlannedOutage:
    o = await session.get(PlannedOutage, outage_id, with_for_update=True)
    if o is None:
        raise IncidentNotFound(f"planned outage {outage_id} not found")
    principal.require_estate(o.estate_id)
    return o
