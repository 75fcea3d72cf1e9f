"""Work orders: report (resident, desk request, inspection, preventive schedule), duplicate linking, triage
and dispatch, the technician's path (accept → en route → on site → complete), pauses, the resident's
confirmation, reopening, cancellation; the charge for payable work and the emergency event for incidents.

States: reported → triaged → assigned → accepted → en_route → on_site → completed → confirmed → closed;
paused (from accepted, en route or on site; resume goes back); reopened (from completed, confirmed or
closed; dispatchable again); cancelled. Every transition, actor and note is a timeline entry."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.auth import Principal, Role
from propdesk.common.contracts import repairs as ev
from propdesk.common.db import NumberBlock, insert_new
from propdesk.common.errors import Forbidden, IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.ids import human_ref, uuid7
from propdesk.common.money import multiply
from propdesk.common.timeutil import to_local, utcnow
from propdesk.repairs.errors import LocationNotFound, NotQualified, PriceItemNotFound, TechnicianNotFound
from propdesk.repairs.models import (
    Building,
    Place,
    PriceItem,
    Technician,
    Unit,
    WorkOrder,
    WorkOrderEntry,
    WorkOrderPart,
    WorkOrderReporter,
)
from propdesk.repairs.schemas import WorkOrderAction
from propdesk.repairs.service import clocks, dispatch, estates, taxonomy
from propdesk.repairs.service.registry import LOCATIONS

CLOSED = frozenset({"closed", "cancelled"})
DONE = frozenset({"completed", "confirmed", "closed", "cancelled"})
DISPATCHABLE = frozenset({"reported", "triaged", "reopened"})
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "triage": (frozenset({"reported", "reopened"}), "triaged"),
    "assign": (frozenset({"reported", "triaged", "reopened", "assigned", "accepted"}), "assigned"),
    "accept": (frozenset({"assigned"}), "accepted"),
    "decline": (frozenset({"assigned"}), "triaged"),
    "en_route": (frozenset({"accepted"}), "en_route"),
    "arrive": (frozenset({"accepted", "en_route"}), "on_site"),
    "pause": (frozenset({"accepted", "en_route", "on_site"}), "paused"),
    "resume": (frozenset({"paused"}), None),  # back to where it paused
    "complete": (frozenset({"on_site"}), "completed"),
    "confirm": (frozenset({"completed"}), "confirmed"),
    "reject": (frozenset({"completed"}), "reopened"),
    "reopen": (frozenset({"completed", "confirmed", "closed"}), "reopened"),
    "cancel": (frozenset({"reported", "triaged", "assigned", "accepted", "reopened"}), "cancelled"),
    "change_urgency": (
        frozenset(
            {"reported", "triaged", "assigned", "accepted", "en_route", "on_site", "paused", "reopened"}
        ),
        None,
    ),
}
MEETS = {
    "triage": ("acknowledge",),
    "assign": ("acknowledge", "dispatch"),
    "arrive": ("acknowledge", "dispatch", "arrive"),
    "complete": ("acknowledge", "dispatch", "arrive", "complete"),
    "cancel": clocks.MILESTONES,
}
TECHNICIAN_ACTIONS = frozenset({"accept", "decline", "en_route", "arrive", "pause", "resume", "complete"})
RESIDENT_ACTIONS = frozenset({"confirm", "reject", "cancel"})
DISPATCHER_ACTIONS = frozenset({"triage", "assign", "reopen", "cancel", "change_urgency", "pause", "resume"})
STAGE = {
    "accept": "accepted",
    "en_route": "en_route",
    "arrive": "on_site",
    "pause": "paused",
    "resume": "resumed",
    "reject": "reopened",
    "reopen": "reopened",
    "cancel": "cancelled",
}


def actor_of(principal: Principal | None) -> str:
    return "system" if principal is None else (principal.name or principal.sub)


async def reporter_ids(session: AsyncSession, wo: WorkOrder) -> list[uuid.UUID]:
    rows = await session.execute(
        select(WorkOrderReporter.resident_id)
        .where(WorkOrderReporter.work_order_id == wo.id, WorkOrderReporter.resident_id.is_not(None))
        .order_by(WorkOrderReporter.reported_at)
    )
    return list(dict.fromkeys(rows.scalars().all()))


async def ref(session: AsyncSession, wo: WorkOrder, reporters: list[uuid.UUID] | None = None) -> dict:
    return {
        "work_order_id": wo.id,
        "estate_id": wo.estate_id,
        "reference": wo.reference,
        "unit_id": wo.unit_id,
        "place_id": wo.place_id,
        "building_id": wo.building_id,
        "location": wo.location,
        "category": wo.category,
        "urgency": wo.urgency,
        "technician_id": wo.technician_id,
        "reporter_ids": reporters if reporters is not None else await reporter_ids(session, wo),
    }


def entry(
    session: AsyncSession, wo: WorkOrder, kind: str, actor: str, note=None, *, before=None, **data
) -> None:
    row = WorkOrderEntry(
        work_order_id=wo.id,
        kind=kind,
        from_state=before,
        to_state=wo.state if before is not None else None,
        actor=actor,
        note=note,
        data={k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in data.items()},
    )
    session.add(row)
    session.info.setdefault("new_rows", []).append(row)  # the response of the request that wrote it shows it


async def _record(session: AsyncSession, wo: WorkOrder, event) -> None:
    await outbox.record(session, event, aggregate_id=wo.id, estate_id=wo.estate_id)


# ---------------------------------------------------------------- reporting

NUMBERS = NumberBlock("repairs.work_order_number")


async def locate(
    session: AsyncSession, estate_id: uuid.UUID, unit_id, place_id
) -> tuple[uuid.UUID | None, str, str | None]:
    """(building, a readable location, the unit's kind) from the registry projection."""
    return await LOCATIONS.get_or_load(
        (estate_id, unit_id, place_id), lambda: _locate(session, estate_id, unit_id, place_id)
    )


async def _locate(
    session: AsyncSession, estate_id: uuid.UUID, unit_id, place_id
) -> tuple[uuid.UUID | None, str, str | None]:
    if unit_id is not None:
        unit = await session.get(Unit, unit_id)
        if unit is None or unit.estate_id != estate_id:
            raise LocationNotFound(f"unit {unit_id} is not known in this estate")
        return unit.building_id, unit.number, unit.kind
    place = await session.get(Place, place_id)
    if place is None or place.estate_id != estate_id:
        raise LocationNotFound(f"place {place_id} is not known in this estate")
    label = place.name
    if place.building_id is not None and (b := await session.get(Building, place.building_id)) is not None:
        label = f"{b.name} {place.name}"
    return place.building_id, label, None


async def _duplicate_of(
    session: AsyncSession, estate_id, place_id, category: str, window_minutes: int
) -> WorkOrder | None:
    if place_id is None or window_minutes <= 0:
        return None
    since = utcnow() - dt.timedelta(minutes=window_minutes)
    row = await session.execute(
        select(WorkOrder)
        .where(
            WorkOrder.place_id == place_id,
            WorkOrder.category == category,
            WorkOrder.open.is_(True),
            WorkOrder.state.not_in(DONE),
            WorkOrder.created_at >= since,
        )
        .order_by(WorkOrder.created_at)
        .limit(1)
        .with_for_update()
    )
    return row.scalar_one_or_none()


async def report(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    unit_id: uuid.UUID | None,
    place_id: uuid.UUID | None,
    category: str,
    problem: str,
    urgency: str | None,
    description: str,
    photos: list[str],
    source: str,
    reporter_resident_id: uuid.UUID | None,
    reporter_name: str,
    reporter_phone: str | None,
    reporter_language: str = "zh-CN",
    preferred_from: dt.datetime | None = None,
    preferred_to: dt.datetime | None = None,
    request_id: uuid.UUID | None = None,
    payable: bool | None = None,
    schedule_id: uuid.UUID | None = None,
    scheduled_for: dt.date | None = None,
    actor: str = "system",
) -> tuple[WorkOrder, bool]:
    """Open a work order, or link the report to an open one for the same common-area problem.
    Returns (order, linked)."""
    await estates.require_estate(session, estate_id)
    found = taxonomy.problem(category, problem)
    if found is None:
        codes = ", ".join(p.code for p in taxonomy.PROBLEMS.get(category, [])) + ", other"
        raise InvalidInput(
            Text(
                f"{category} 类别下没有问题 {problem}（可选：{codes}）",
                f"unknown problem {problem!r} for {category} (one of: {codes})",
            )
        )
    building_id, location, unit_kind = await locate(session, estate_id, unit_id, place_id)
    settings = await estates.settings_for(session, estate_id)
    reporter = WorkOrderReporter(
        resident_id=reporter_resident_id,
        name=reporter_name or "",
        phone=reporter_phone,
        description=description,
        request_id=request_id,
    )
    duplicate = await _duplicate_of(session, estate_id, place_id, category, settings.duplicate_window_minutes)
    if duplicate is not None:
        reporter.work_order_id = duplicate.id
        session.add(reporter)
        entry(
            session,
            duplicate,
            "duplicate_reported",
            actor,
            description,
            reporter=reporter_name,
            request_id=request_id,
        )
        await session.flush()
        if request_id is not None:  # the desk's request links to the order it joined
            await _record(session, duplicate, _created_event(duplicate, request_id))
        return duplicate, True

    now = utcnow()
    number = await NUMBERS.next(session)
    tz = await estates.timezone_of(session, estate_id)
    wo = WorkOrder(
        id=uuid7(),  # known before the insert: the order is written once, already dispatched
        estate_id=estate_id,
        reference=human_ref("WO", f"{to_local(now, tz):%Y%m}", number),
        source=source,
        request_id=request_id,
        unit_id=unit_id,
        place_id=place_id,
        building_id=building_id,
        location=location,
        category=category,
        problem=found.code,
        urgency=urgency or found.urgency,
        payable=payable if payable is not None else unit_kind is not None,
        description=description,
        photos=list(photos),
        preferred_from=preferred_from,
        preferred_to=preferred_to,
        reporter_resident_id=reporter_resident_id,
        reporter_name=reporter_name or "",
        reporter_phone=reporter_phone,
        reporter_language=reporter_language,
        state="reported",
        open=True,
        declined_by=[],
        breached=False,
        reopen_count=0,
        labour_minutes=0,
        completion_photos=[],
        schedule_id=schedule_id,
        scheduled_for=scheduled_for,
    )
    wo.created_at = now
    running = clocks.start(await estates.targets(session, estate_id, category, wo.urgency), now)
    clocks.store(wo, running)
    # the order and its reporter stay out of the session: insert_new writes them
    reporter.work_order_id = wo.id
    session.info.setdefault("new_rows", []).append(reporter)
    entry(session, wo, "reported", actor, description, before="", source=source)
    events: list = [_created_event(wo, request_id)]
    if found.emergency:
        events.append(
            ev.EmergencyReported(
                work_order_id=wo.id,
                estate_id=estate_id,
                reference=wo.reference,
                kind=found.emergency,
                building_id=building_id,
                place_id=place_id,
                unit_id=unit_id,
                location=location,
                description=description,
                reported_at=now,
                reporter_name=reporter_name or "",
                reporter_phone=reporter_phone,
            )
        )
    if found.outage:
        events.append(
            ev.OutageReported(
                work_order_id=wo.id,
                estate_id=estate_id,
                reference=wo.reference,
                kind=found.outage,
                building_id=building_id,
                unit_id=unit_id,
                location=location,
                reported_at=now,
            )
        )
    if settings.auto_dispatch:
        reporters = [reporter_resident_id] if reporter_resident_id else []
        # the timeline entries wait in the session for insert_new: a query while dispatching must not
        # flush them before their order exists
        with session.no_autoflush:
            events.append(
                (await _dispatch(session, wo, running, now, actor="system", reporters=reporters))[1]
            )
    # the order, its reporter, timeline, clock timers and events: written once, already dispatched, in one
    # statement
    sla_timers, _ = clocks.timer_items([(wo, running)])
    await insert_new(
        session,
        [wo, *(o for o in session.info["new_rows"] if o.work_order_id == wo.id)],
        dict(
            [
                timers.new_rows(session, sla_timers),
                outbox.new_rows(session, [(e, wo.id) for e in events], estate_id=estate_id),
            ]
        ),
    )
    return wo, False


def _created_event(wo: WorkOrder, request_id: uuid.UUID | None) -> ev.WorkOrderCreated:
    return ev.WorkOrderCreated(
        work_order_id=wo.id,
        estate_id=wo.estate_id,
        reference=wo.reference,
        request_id=request_id,
        unit_id=wo.unit_id,
        place_id=wo.place_id,
        category=wo.category,
        urgency=wo.urgency,
    )


# ---------------------------------------------------------------- dispatch


async def auto_assign(
    session: AsyncSession, wo: WorkOrder, *, actor: str, reporters: list[uuid.UUID] | None = None
) -> Technician | None:
    """Pick a technician (skill, shift, load, distance); when nobody fits, say so to the dispatchers."""
    now = utcnow()
    running = clocks.load(wo)
    if reporters is None:
        reporters = await reporter_ids(session, wo)
    tech, event = await _dispatch(session, wo, running, now, actor=actor, reporters=reporters)
    await clocks.arm(session, wo, running)
    await session.flush()
    await _record(session, wo, event)
    return tech


async def _dispatch(
    session: AsyncSession,
    wo: WorkOrder,
    running: dict,
    now: dt.datetime,
    *,
    actor: str,
    reporters: list[uuid.UUID],
) -> tuple[Technician | None, ev.WorkOrderAssigned | ev.WorkOrderUnassignable]:
    """The dispatch decision applied to the order in memory (state, clocks, timeline); returns the chosen
    technician (None: unassignable) and the event to record. The caller arms the clocks and writes."""
    ranked, why = await dispatch.candidates(
        session, wo, now, await estates.timezone_of(session, wo.estate_id)
    )
    if not ranked:
        if wo.state in ("reported", "reopened"):
            before, wo.state = wo.state, "triaged"
            clocks.meet(running, MEETS["triage"], now)
            clocks.store(wo, running)
            entry(session, wo, "triage", actor, None, before=before)
        entry(session, wo, "unassignable", actor, why)
        return None, ev.WorkOrderUnassignable(**await ref(session, wo, reporters), reason=why)
    chosen = ranked[0]
    event = _assignment(
        session,
        wo,
        chosen.technician,
        running,
        now,
        actor=actor,
        note=None,
        auto=True,
        load=chosen.load,
        reporters=reporters,
    )
    return chosen.technician, event


def _assignment(
    session: AsyncSession,
    wo: WorkOrder,
    tech: Technician,
    running: dict,
    now: dt.datetime,
    *,
    actor: str,
    note: str | None,
    auto: bool,
    load: int | None,
    reporters: list[uuid.UUID],
) -> ev.WorkOrderAssigned:
    before, previous = wo.state, wo.technician_id
    clocks.meet(running, MEETS["assign"], now)
    wo.state, wo.technician_id, wo.assigned_at = "assigned", tech.id, now
    dispatch.count_assignment(wo.estate_id, tech.id, previous if before in dispatch.BUSY else None)
    clocks.store(wo, running)
    kind = "reassign" if previous is not None and previous != tech.id else "assign"
    entry(
        session,
        wo,
        kind,
        actor,
        note,
        before=before,
        technician=tech.name,
        technician_id=tech.id,
        auto=auto,
        load=load,
    )
    return ev.WorkOrderAssigned(
        work_order_id=wo.id,
        estate_id=wo.estate_id,
        reference=wo.reference,
        technician_id=tech.id,
        technician_name=tech.name,
        resident_id=wo.reporter_resident_id,
        unit_id=wo.unit_id,
        location=wo.location,
        category=wo.category,
        urgency=wo.urgency,
        description=wo.description,
        reporter_ids=reporters,
    )


async def _assign(
    session: AsyncSession,
    wo: WorkOrder,
    tech: Technician,
    *,
    actor: str,
    note: str | None,
    auto: bool,
    load: int | None = None,
    reporters: list[uuid.UUID] | None = None,
) -> None:
    now, running = utcnow(), clocks.load(wo)
    if reporters is None:
        reporters = await reporter_ids(session, wo)
    event = _assignment(
        session, wo, tech, running, now, actor=actor, note=note, auto=auto, load=load, reporters=reporters
    )
    await clocks.arm(session, wo, running)
    await session.flush()
    await _record(session, wo, event)


# ---------------------------------------------------------------- access


def can_see(principal: Principal, wo: WorkOrder, reporters: list[uuid.UUID]) -> bool:
    if not principal.can_see_estate(wo.estate_id):
        return False
    if principal.is_resident_only:
        me = principal.subject_id
        return (wo.unit_id is not None and wo.unit_id in principal.units) or (
            me is not None and me in reporters
        )
    return True


async def require_visible(session: AsyncSession, principal: Principal, wo: WorkOrder) -> None:
    principal.require_estate(wo.estate_id)
    if not can_see(principal, wo, await reporter_ids(session, wo) if principal.is_resident_only else []):
        raise Forbidden(
            Text(
                "只能查看本人房屋或本人报修的工单",
                "You can only see your own units' orders and those you reported",
            )
        )


def _authorize(principal: Principal, wo: WorkOrder, name: str) -> None:
    if principal.has(Role.dispatcher, Role.manager, Role.admin) and (
        name in DISPATCHER_ACTIONS or name in TECHNICIAN_ACTIONS
    ):
        return  # a dispatcher may also record a step for a technician who phoned it in
    if principal.has(Role.technician) and name in TECHNICIAN_ACTIONS:
        if wo.technician_id is None or str(wo.technician_id) != principal.sub:
            raise Forbidden(
                Text("只能操作指派给本人的工单", "Technicians act only on orders assigned to them")
            )
        return
    if principal.is_resident_only and name in RESIDENT_ACTIONS:
        return
    if principal.has(Role.receptionist) and name in ("cancel", "reopen", "change_urgency", "triage"):
        return
    raise Forbidden(Text(f"您的角色不能执行 {name}", f"Your role cannot {name} a work order"), action=name)


# ---------------------------------------------------------------- transitions


async def act(session: AsyncSession, wo: WorkOrder, action, *, principal: Principal | None) -> WorkOrder:
    """Apply one action; a state that does not allow it is 409 and changes nothing."""
    name = action.action
    dispatch.forget_loads(wo.estate_id)
    if principal is not None:
        _authorize(principal, wo, name)
        if principal.is_resident_only and name == "cancel" and wo.state not in ("reported", "triaged"):
            raise IllegalTransition(
                Text("已派工的工单请联系客服取消", "Once assigned, call the desk to cancel"),
                state=wo.state,
                action=name,
            )
    allowed, target = TRANSITIONS[name]
    if wo.state not in allowed:
        raise IllegalTransition(
            Text(
                f"状态为 {wo.state} 的工单不能执行 {name}",
                f"a work order in state {wo.state} cannot {name.replace('_', ' ')}",
            ),
            state=wo.state,
            action=name,
        )
    actor, now = actor_of(principal), utcnow()
    running = clocks.load(wo)
    before = wo.state
    note = action.note or action.reason
    if name == "assign":
        if action.technician_id is None:
            if await auto_assign(session, wo, actor=actor) is None:
                return wo
        else:
            tech = await session.get(Technician, action.technician_id)
            if tech is None or tech.estate_id != wo.estate_id:
                raise TechnicianNotFound(f"technician {action.technician_id} not found in this estate")
            if (why := dispatch.qualified(tech, wo.category)) is not None:
                raise NotQualified(Text(f"{tech.name}：{why}", f"{tech.name} {why}"), reason=why)
            if before in ("assigned", "accepted") and not action.reason:
                raise InvalidInput(Text("改派须说明原因", "A reassignment needs a reason"))
            await _assign(session, wo, tech, actor=actor, note=note, auto=False)
        return wo
    if name == "decline":
        wo.declined_by = [*(wo.declined_by or []), wo.technician_id]
        wo.technician_id, wo.state = None, "triaged"
        entry(session, wo, name, actor, note, before=before)
        await session.flush()
        await auto_assign(session, wo, actor="system")
        return wo
    for milestone in MEETS.get(name, ()):
        clocks.meet(running, (milestone,), now)
    if name == "pause":
        clocks.pause(running, now)
        wo.paused_from, wo.pause_reason = before, action.pause_reason
    elif name == "resume":
        clocks.resume(running, now)
        target, wo.paused_from, wo.pause_reason = wo.paused_from or "accepted", None, None
    elif name == "arrive":
        wo.arrived_at = now
    elif name == "complete":
        wo.completed_at, wo.resolution = now, action.note
        wo.labour_minutes = action.labour_minutes if action.labour_minutes is not None else wo.labour_minutes
        wo.completion_photos = list(action.photos)
    elif name in ("reject", "reopen"):
        wo.reopen_count += 1
        wo.completed_at = wo.closed_at = None
        wo.open, wo.technician_id, wo.declined_by = True, None, []
        found = await estates.targets(session, wo.estate_id, wo.category, wo.urgency)
        restart = {m: v for m, v in found.items() if m != "acknowledge"}
        running = {**{m: c for m, c in running.items() if m == "acknowledge"}, **clocks.start(restart, now)}
        await timers.cancel(session, f"wo:{wo.id}:autoclose")
    elif name == "cancel":
        wo.open = False
        wo.closed_at = now
    elif name == "change_urgency":
        if action.urgency == wo.urgency:
            raise IllegalTransition(
                Text("紧急程度未变化", "The urgency is already that"), state=wo.state, action=name
            )
        found = await estates.targets(session, wo.estate_id, wo.category, action.urgency)
        running = clocks.retarget(running, found, wo.created_at, now)
        entry(session, wo, name, actor, note, urgency_from=wo.urgency, urgency_to=action.urgency)
        wo.urgency = action.urgency
    if target is not None:
        wo.state = target
    clocks.store(wo, running)
    await clocks.arm(session, wo, running)
    if name != "change_urgency":
        entry(session, wo, name, actor, note, before=before, pause_reason=action.pause_reason)
    await session.flush()
    if name == "complete":
        await _completed(session, wo)
    elif name == "confirm":
        await close(session, wo, actor=actor, note="confirmed by the resident")
    elif name in STAGE:
        await _record(
            session, wo, ev.WorkOrderProgressed(**await ref(session, wo), stage=STAGE[name], note=note)
        )
    if name in ("reject", "reopen"):
        settings = await estates.settings_for(session, wo.estate_id)
        if settings.auto_dispatch:
            await auto_assign(session, wo, actor="system")
    return wo


async def close(session: AsyncSession, wo: WorkOrder, *, actor: str, note: str) -> None:
    before = wo.state
    wo.state, wo.open, wo.closed_at = "closed", False, utcnow()
    await timers.cancel(session, f"wo:{wo.id}:autoclose")
    entry(session, wo, "close", actor, note, before=before)
    await session.flush()
    await _record(session, wo, ev.WorkOrderProgressed(**await ref(session, wo), stage="closed", note=note))


async def _completed(session: AsyncSession, wo: WorkOrder) -> None:
    settings = await estates.settings_for(session, wo.estate_id)
    await timers.schedule(
        session,
        kind="wo.autoclose",
        key=f"wo:{wo.id}:autoclose",
        due_at=wo.completed_at + dt.timedelta(days=settings.auto_close_days),
        payload={"work_order_id": str(wo.id)},
    )
    reporters = await reporter_ids(session, wo)
    await _record(
        session,
        wo,
        ev.WorkOrderCompleted(
            work_order_id=wo.id,
            estate_id=wo.estate_id,
            reference=wo.reference,
            unit_id=wo.unit_id,
            place_id=wo.place_id,
            resident_id=wo.reporter_resident_id,
            category=wo.category,
            urgency=wo.urgency,
            technician_id=wo.technician_id,
            completed_at=wo.completed_at,
            reporter_ids=reporters,
            notes=wo.resolution or "",
        ),
    )
    if wo.payable and wo.unit_id is not None:
        await _charge(session, wo, settings.labour_rate_fen_per_hour)


async def _charge(session: AsyncSession, wo: WorkOrder, rate_fen_per_hour: int) -> None:
    """Parts at the price list's prices plus labour at the estate's hourly rate, one rounding (money)."""
    parts = (
        (await session.execute(select(WorkOrderPart).where(WorkOrderPart.work_order_id == wo.id)))
        .scalars()
        .all()
    )
    lines = [
        ev.ChargeLine(
            kind="part",
            description=p.name,
            quantity=str(p.quantity),
            unit_price_fen=p.unit_price_fen,
            amount_fen=p.amount_fen,
        )
        for p in parts
    ]
    if wo.labour_minutes:
        hours = (Decimal(wo.labour_minutes) / 60).quantize(Decimal("0.01"))
        lines.append(
            ev.ChargeLine(
                kind="labour",
                description=f"人工 labour ({wo.labour_minutes} min)",
                quantity=str(hours),
                unit_price_fen=rate_fen_per_hour,
                amount_fen=multiply(Decimal(rate_fen_per_hour) / 60, wo.labour_minutes),
            )
        )
    if not lines:
        return
    wo.charge_fen = sum(line.amount_fen for line in lines)
    entry(session, wo, "charged", "system", None, total_fen=wo.charge_fen)
    await session.flush()
    await _record(
        session,
        wo,
        ev.ChargeRaised(
            charge_id=uuid.uuid4(),
            work_order_id=wo.id,
            estate_id=wo.estate_id,
            unit_id=wo.unit_id,
            reference=wo.reference,
            lines=lines,
            total_fen=wo.charge_fen,
        ),
    )


async def record_part(
    session: AsyncSession, wo: WorkOrder, code: str, quantity: Decimal, *, principal: Principal
) -> WorkOrderPart:
    dispatcher = principal.has(Role.dispatcher, Role.manager, Role.admin)
    if not dispatcher and str(wo.technician_id) != principal.sub:
        raise Forbidden(Text("只能操作指派给本人的工单", "Technicians act only on orders assigned to them"))
    if wo.state not in ("accepted", "en_route", "on_site", "paused"):
        raise IllegalTransition(
            Text("只能在维修过程中登记配件", "Parts are recorded while the work is under way"),
            state=wo.state,
            action="part",
        )
    item = (
        await session.execute(
            select(PriceItem).where(
                PriceItem.estate_id == wo.estate_id, PriceItem.code == code, PriceItem.active.is_(True)
            )
        )
    ).scalar_one_or_none()
    if item is None:
        raise PriceItemNotFound(f"no active part {code!r} in this estate's price list")
    part = WorkOrderPart(
        work_order_id=wo.id,
        price_item_id=item.id,
        name=item.name,
        quantity=quantity,
        unit_price_fen=item.price_fen,
        amount_fen=multiply(item.price_fen, quantity),
        recorded_by=actor_of(principal),
    )
    session.add(part)
    entry(
        session,
        wo,
        "part",
        actor_of(principal),
        None,
        code=code,
        quantity=str(quantity),
        amount_fen=part.amount_fen,
    )
    await session.flush()
    return part


# ---------------------------------------------------------------- timers and events


async def on_sla_due(session: AsyncSession, batch: list[timers.Timer]) -> None:
    """Every due SLA point at once (a batch handler): one query for the orders, one for their reporters,
    the events in bulk, the timers moved to their next points in two statements. An order a request holds
    locked keeps its timer, retried a second later."""
    orders = await timers.lock_for_batch(session, WorkOrder, batch, "work_order_id")
    reporters: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in orders}
    for wo_id, resident_id in await session.execute(
        select(WorkOrderReporter.work_order_id, WorkOrderReporter.resident_id)
        .where(WorkOrderReporter.work_order_id.in_(list(orders)), WorkOrderReporter.resident_id.is_not(None))
        .order_by(WorkOrderReporter.reported_at)
    ):
        if resident_id not in reporters[wo_id]:
            reporters[wo_id].append(resident_id)
    now, touched, events = utcnow(), {}, []
    for t in batch:
        wo = orders.get(uuid.UUID(t.payload["work_order_id"]))
        if wo is None or wo.state in DONE:
            continue
        running = touched.get(wo.id) or clocks.load(wo)
        milestone, point = t.payload["milestone"], t.payload["point"]
        clock = running.get(milestone)
        if clock is None or clock.met_at is not None or clock.paused_at is not None:
            continue
        due = clock.due_at(clocks.CAL)
        base = await ref(session, wo, reporters[wo.id])
        if point == "breach":
            if clock.breached_at is None and due is not None and now >= due:
                clock.breached_at, wo.breached = now, True
                entry(
                    session, wo, "sla_breached", "system", None, milestone=milestone, due_at=due.isoformat()
                )
                events.append((wo, ev.WorkOrderSlaBreached(**base, milestone=milestone, due_at=due)))
        elif (threshold := float(point)) not in clock.warned:
            clock.warned.append(threshold)
            entry(session, wo, "sla_warning", "system", None, milestone=milestone, threshold=threshold)
            events.append(
                (wo, ev.WorkOrderSlaWarning(**base, milestone=milestone, threshold=threshold, due_at=due))
            )
        touched[wo.id] = running
    for wo_id, running in touched.items():
        clocks.store(orders[wo_id], running)
    await clocks.arm_many(session, [(orders[i], running) for i, running in touched.items()])
    await session.flush()
    for estate_id in {wo.estate_id for wo, _ in events}:
        await outbox.record_many(
            session, [(e, wo.id) for wo, e in events if wo.estate_id == estate_id], estate_id=estate_id
        )


async def on_autoclose(session: AsyncSession, work_order_id: uuid.UUID) -> None:
    wo = await timers.lock_or_defer(session, WorkOrder, work_order_id)
    if wo is not None and wo.state == "completed":
        await close(
            session, wo, actor="system", note="no answer from the resident within the confirmation period"
        )


async def reopen_from_follow_up(
    session: AsyncSession, work_order_id: uuid.UUID, score: int, complaint: str
) -> None:
    wo = await session.get(WorkOrder, work_order_id, with_for_update=True)
    if wo is None or wo.state not in TRANSITIONS["reopen"][0]:
        return

    note = f"follow-up score {score}; complaint {complaint}"
    await act(session, wo, WorkOrderAction(action="reopen", note=note), principal=None)
