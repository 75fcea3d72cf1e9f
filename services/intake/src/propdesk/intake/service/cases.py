"""Cases: inquiries, complaints, praise and suggestions, with SLA clocks on durable timers.

Milestones: acknowledge, first_response, resolution, and for major complaints a recurring update every
24 h. Each is an `sla.Clock` stored on the case; its warning (75%) and breach are durable timers. A breach
escalates receptionist → supervisor → manager. Waiting for the resident pauses every clock.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.auth import Principal, Role, unit_filter
from propdesk.common.contracts import intake as ev
from propdesk.common.errors import Forbidden, IllegalTransition
from propdesk.common.i18n import Text
from propdesk.common.ids import human_ref
from propdesk.common.pagination import PageParams, fetch_page
from propdesk.common.sla import Clock
from propdesk.common.timeutil import BusinessCalendar, to_local, utcnow
from propdesk.intake.errors import CaseNotFound, WrongEstate
from propdesk.intake.models import Call, Case, CaseEntry, Resident, Staff, Unit
from propdesk.intake.repository import require_of_estate
from propdesk.intake.schemas import CaseAction, CaseCreate, CaseEntryRead, CaseRead
from propdesk.intake.service import case_targets, followups

WARN_AT = 0.75
REPEAT_WINDOW = dt.timedelta(days=30)
ESCALATION = {1: "supervisor", 2: "manager"}
WORKDAY = 9 * 60  # minutes of working time in a day (09:00-18:00)

# action: (states it may start from, state it leads to; None keeps the state)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "acknowledge": (frozenset({"open"}), "acknowledged"),
    "respond": (frozenset({"open", "acknowledged", "in_progress"}), "in_progress"),
    "assign": (frozenset({"open", "acknowledged", "in_progress", "waiting_resident"}), None),
    "update": (frozenset({"acknowledged", "in_progress", "waiting_resident"}), None),
    "wait": (frozenset({"acknowledged", "in_progress"}), "waiting_resident"),
    "resume": (frozenset({"waiting_resident"}), "in_progress"),
    "resolve": (frozenset({"acknowledged", "in_progress"}), "resolved"),
    "confirm": (frozenset({"resolved"}), "closed"),
    "reject": (frozenset({"resolved"}), "in_progress"),
    "cancel": (frozenset({"open", "acknowledged", "in_progress", "waiting_resident"}), "cancelled"),
}
MEETS = {  # which milestones an action meets
    "acknowledge": ("acknowledge",),
    "respond": ("acknowledge", "first_response"),
    "resolve": ("acknowledge", "first_response", "resolution"),
    "cancel": ("acknowledge", "first_response", "resolution", "update"),
}
RESIDENT_ACTIONS = frozenset({"confirm", "reject"})


def calendar_for(case: Case) -> BusinessCalendar:
    return BusinessCalendar()


def actor_of(principal: Principal | None) -> str:
    return "system" if principal is None else (principal.name or principal.sub)


def ref(case: Case) -> dict:
    return {
        "case_id": case.id,
        "estate_id": case.estate_id,
        "reference": case.reference,
        "kind": case.kind,
        "category": case.category,
        "severity": case.severity,
        "unit_id": case.unit_id,
        "resident_id": case.resident_id,
    }


async def _entry(
    session: AsyncSession, case: Case, kind: str, actor: str, note: str | None = None, **data
) -> None:
    session.add(CaseEntry(case_id=case.id, kind=kind, actor=actor, note=note, data=data))


def _clocks(case: Case) -> dict[str, Clock]:
    return {m: Clock.from_dict(c) for m, c in (case.clocks or {}).items()}


def _store(case: Case, clocks: dict[str, Clock]) -> None:
    case.clocks = {m: c.to_dict() for m, c in clocks.items()}


async def _schedule(session: AsyncSession, case: Case, clock: Clock) -> None:
    cal = calendar_for(case)
    key = f"case:{case.id}:{clock.milestone}"
    due, warn = clock.due_at(cal), clock.warn_at(WARN_AT, cal)
    payload = {"case_id": str(case.id), "milestone": clock.milestone}
    if due is None:
        timers.cancel(session, key + ":breach")
    else:
        timers.schedule(session, kind="case.sla.breach", key=key + ":breach", due_at=due, payload=payload)
    if warn is None or WARN_AT in clock.warned:
        timers.cancel(session, key + ":warn")
    else:
        timers.schedule(session, kind="case.sla.warn", key=key + ":warn", due_at=warn, payload=payload)


async def _next_reference(session: AsyncSession, now: dt.datetime) -> str:
    number = (await session.execute(text("SELECT nextval('intake.case_number')"))).scalar_one()
    return human_ref("CASE", f"{to_local(now):%Y%m}", number)


async def open_case(
    session: AsyncSession, estate_id: uuid.UUID, data: CaseCreate, *, principal: Principal
) -> Case:
    now = utcnow()
    resident_id = data.resident_id
    if principal.is_resident_only:
        if data.unit_id is None or data.unit_id not in principal.units:
            raise Forbidden(Text("只能为本人房屋提交", "Residents file cases for their own units"))
        resident_id = principal.subject_id
    await require_of_estate(session, Unit, data.unit_id, estate_id, "unit")
    await require_of_estate(session, Resident, resident_id, estate_id, "resident")
    await require_of_estate(session, Call, data.call_id, estate_id, "call")
    employee = await require_of_estate(session, Staff, data.employee_id, estate_id, "staff member")
    case = Case(
        estate_id=estate_id,
        reference=await _next_reference(session, now),
        kind=data.kind,
        channel=data.channel,
        category=data.category,
        severity=data.severity,
        unit_id=data.unit_id,
        resident_id=resident_id,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        subject=data.subject,
        description=data.description,
        state="open",
        escalation_level=0,
        reopen_count=0,
        call_id=data.call_id,
        employee_id=data.employee_id,
    )
    if data.kind == "complaint" and data.unit_id is not None and data.category is not None:
        case.repeat_of = (
            await session.execute(
                select(Case.id)
                .where(
                    Case.unit_id == data.unit_id,
                    Case.category == data.category,
                    Case.kind == "complaint",
                    Case.created_at >= now - REPEAT_WINDOW,
                )
                .order_by(Case.created_at.desc())
                .limit(1)
            )
        ).scalar()
    clocks = {
        m: Clock.start(m, dt.timedelta(minutes=mins), cal, now)
        for m, (mins, cal) in (
            await case_targets.targets_for(session, estate_id, data.kind, data.category, data.severity)
        ).items()
    }
    _store(case, clocks)
    session.add(case)
    await session.flush()
    for clock in clocks.values():
        await _schedule(session, case, clock)
    await _entry(session, case, "opened", actor_of(principal), data.description, channel=data.channel)
    outbox.record(
        session,
        ev.CaseOpened(
            **ref(case),
            channel=case.channel,
            subject=case.subject,
            is_repeat=case.repeat_of is not None,
            repeat_of=case.repeat_of,
            call_id=case.call_id,
            employee_id=case.employee_id,
            employee_name=employee.name if employee else None,
            employee_department=employee.department.code if employee else None,
        ),
        aggregate_id=case.id,
        estate_id=estate_id,
    )
    return case


def require_visible(principal: Principal, case: Case) -> None:
    principal.require_estate(case.estate_id)
    if principal.is_resident_only and (case.unit_id is None or case.unit_id not in principal.units):
        raise Forbidden(Text("只能查看本人房屋的工单", "You can only see your own units' cases"))


async def act(session: AsyncSession, case: Case, action: CaseAction, *, principal: Principal) -> Case:
    """Apply one action. An action the case's state does not allow is refused (409) and changes nothing."""
    name = action.action
    allowed, target = TRANSITIONS[name]
    if principal.is_resident_only and name not in RESIDENT_ACTIONS:
        raise Forbidden(
            Text("住户只能确认或驳回处理结果", "Residents can only confirm or reject a resolution")
        )
    if case.state not in allowed:
        raise IllegalTransition(
            Text(
                f"状态为 {case.state} 的工单不能执行 {name}", f"a case in state {case.state} cannot be {name}"
            ),
            state=case.state,
            action=name,
        )
    now, cal, actor = utcnow(), calendar_for(case), actor_of(principal)
    clocks = _clocks(case)
    for milestone in MEETS.get(name, ()):
        if milestone in clocks and clocks[milestone].met_at is None:
            clocks[milestone].meet(now, cal)
    if name == "acknowledge":
        case.acknowledged_at = now
    elif name == "respond":
        case.acknowledged_at = case.acknowledged_at or now
        case.first_response_at = case.first_response_at or now
    elif name == "assign":
        await _assign(session, case, action)
    elif (
        name == "update" and "update" in clocks
    ):  # a major complaint's regular update: the next one is due in 24 h
        clocks["update"] = Clock.start("update", clocks["update"].target, clocks["update"].calendar, now)
    elif name == "wait":
        for clock in clocks.values():
            clock.pause(now, cal)
    elif name == "resume":
        for clock in clocks.values():
            clock.resume(now)
    elif name == "resolve":
        case.resolution, case.resolved_at = action.note, now
        case.first_response_at = case.first_response_at or now
        case.acknowledged_at = case.acknowledged_at or now
    elif name == "confirm":
        case.closed_at = now
    elif name == "reject":
        case.reopen_count += 1
        case.resolved_at = None
        resolution = clocks.get("resolution")
        if resolution is not None:
            clocks["resolution"] = Clock.start("resolution", resolution.target, resolution.calendar, now)
    if target is not None:
        case.state = target
    _store(case, clocks)
    for clock in clocks.values():
        await _schedule(session, case, clock)
    await _entry(session, case, name, actor, action.note, state=case.state)
    await session.flush()
    await _announce(session, case, name, action, principal)
    return case


async def _assign(session: AsyncSession, case: Case, action: CaseAction) -> None:
    if action.staff_id is not None:
        staff = await session.get(Staff, action.staff_id)
        if staff is None or staff.estate_id != case.estate_id:
            raise WrongEstate("the staff member works at another estate")
        case.assignee_id, case.department = staff.id, staff.department.code
    if action.department is not None:
        case.department = action.department


async def _announce(
    session: AsyncSession, case: Case, name: str, action: CaseAction, principal: Principal
) -> None:
    event = None
    if name == "assign":
        event = ev.CaseAssigned(**ref(case), department=case.department, staff_id=case.assignee_id)
    elif name == "resolve":
        event = ev.CaseResolved(**ref(case), resolution=case.resolution or "")
        if case.kind == "complaint":  # every resolved complaint is followed up (回访), within 3 days
            await followups.create(
                session,
                estate_id=case.estate_id,
                source_kind="complaint",
                source_id=case.id,
                source_reference=case.reference,
                category=case.category,
                unit_id=case.unit_id,
                resident_id=case.resident_id,
                base_time=case.resolved_at or utcnow(),
                actor=actor_of(principal),
            )
    elif name == "reject":
        event = ev.CaseReopened(**ref(case), reopen_count=case.reopen_count, reason=action.note)
    elif name == "confirm":
        event = ev.CaseClosed(**ref(case), confirmed_by_resident=principal.has(Role.resident))
    if event is not None:
        outbox.record(session, event, aggregate_id=case.id, estate_id=case.estate_id)


async def on_timer(session: AsyncSession, *, case_id: uuid.UUID, milestone: str, kind: str) -> None:
    """A warning or breach timer fired. Stale timers (met, paused, moved) do nothing or re-arm."""
    case = await timers.lock_or_defer(session, Case, case_id)
    if case is None or case.state in ("closed", "cancelled"):
        return
    clocks, cal, now = _clocks(case), calendar_for(case), utcnow()
    clock = clocks.get(milestone)
    if clock is None or clock.met_at is not None or clock.paused_at is not None:
        return
    due = clock.due_at(cal)
    if kind == "warn":
        if WARN_AT not in clock.warned:
            clock.warned.append(WARN_AT)
            await _entry(
                session, case, "sla_warning", "system", None, milestone=milestone, due_at=due.isoformat()
            )
            outbox.record(
                session,
                ev.CaseSlaWarning(**ref(case), milestone=milestone, due_at=due),
                aggregate_id=case.id,
                estate_id=case.estate_id,
            )
    elif due is not None and now >= due and clock.breached_at is None:
        clock.breached_at = now
        await _entry(
            session, case, "sla_breached", "system", None, milestone=milestone, due_at=due.isoformat()
        )
        outbox.record(
            session,
            ev.CaseSlaBreached(**ref(case), milestone=milestone, due_at=due),
            aggregate_id=case.id,
            estate_id=case.estate_id,
        )
        await _escalate(session, case, f"{milestone} target missed")
        if milestone == "update":  # major complaints: every missed daily update escalates again
            clocks["update"] = Clock.start("update", clock.target, clock.calendar, now)
    _store(case, clocks)
    await _schedule(session, case, clocks[milestone])
    await session.flush()


async def _escalate(session: AsyncSession, case: Case, reason: str) -> None:
    if case.escalation_level >= max(ESCALATION):
        return
    case.escalation_level += 1
    to = ESCALATION[case.escalation_level]
    await _entry(session, case, "escalated", "system", reason, level=case.escalation_level, to=to)
    outbox.record(
        session,
        ev.CaseEscalated(**ref(case), level=case.escalation_level, to=to, reason=reason),
        aggregate_id=case.id,
        estate_id=case.estate_id,
    )


def clock_view(case: Case, now: dt.datetime | None = None) -> list[dict]:
    cal, now = calendar_for(case), now or utcnow()
    return [
        {
            "milestone": m,
            "state": c.state(now, cal),
            "target_minutes": int(c.target.total_seconds() // 60),
            "calendar": c.calendar,
            "due_at": c.due_at(cal),
            "met_at": c.met_at,
            "breached_at": c.breached_at,
            "paused_total_seconds": int(c.paused_total.total_seconds()),
        }
        for m, c in _clocks(case).items()
    ]


async def timeline(session: AsyncSession, case_id: uuid.UUID) -> list[CaseEntry]:
    rows = await session.execute(select(CaseEntry).where(CaseEntry.case_id == case_id).order_by(CaseEntry.id))
    return list(rows.scalars().all())


async def get(session: AsyncSession, case_id: uuid.UUID, principal: Principal, *, lock: bool = False) -> Case:
    case = await session.get(Case, case_id, with_for_update=lock)
    if case is None:
        raise CaseNotFound(f"case {case_id} not found")
    require_visible(principal, case)
    return case


async def listing(
    session: AsyncSession,
    estate_id: uuid.UUID,
    principal: Principal,
    *,
    filters: dict,
    escalated: bool | None,
    params: PageParams,
) -> tuple[list[Case], str | None]:
    """Newest first; a resident sees only their own units' cases."""
    stmt = select(Case).where(Case.estate_id == estate_id, unit_filter(principal, Case.unit_id))
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Case, column) == value)
    if escalated is not None:
        stmt = stmt.where((Case.escalation_level > 0) if escalated else (Case.escalation_level == 0))
    return await fetch_page(session, stmt, params, key=Case.created_at, tiebreak=Case.id)


async def read(session: AsyncSession, case: Case, *, with_timeline: bool = True) -> CaseRead:
    fields = {f: getattr(case, f) for f in CaseRead.model_fields if f not in ("clocks", "timeline")}
    view = CaseRead.model_validate({**fields, "clocks": clock_view(case)})
    if with_timeline:
        view.timeline = [CaseEntryRead.model_validate(e) for e in await timeline(session, case.id)]
    return view
