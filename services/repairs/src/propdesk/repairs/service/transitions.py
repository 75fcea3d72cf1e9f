"""The commands that move a work order: one function each, keyword-only arguments. A state that does not
allow the command is 409 and changes nothing; every transition is a timeline entry, and the reporters hear
of the stages that concern them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import timers
from propdesk.common.auth import Principal
from propdesk.common.contracts import repairs as ev
from propdesk.common.errors import IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.sla import Clock
from propdesk.common.timeutil import utcnow
from propdesk.repairs.errors import NotQualified, TechnicianNotFound
from propdesk.repairs.models import Technician, WorkOrder
from propdesk.repairs.service import access, assignment, charges, clocks, dispatch, estates, states, timeline


@dataclass
class _Step:
    """One command being applied to one order."""

    wo: WorkOrder
    command: str
    actor: str
    now: dt.datetime
    running: dict[str, Clock]
    before: str
    note: str | None
    target: str | None


def _begin(
    session: AsyncSession,
    wo: WorkOrder,
    command: str,
    principal: Principal | None,
    note: str | None,
    *,
    meet: bool = True,
) -> _Step:
    dispatch.forget_loads(session, wo.estate_id)
    if principal is not None:
        access.authorize(principal, wo, command)
    allowed, target = states.TRANSITIONS[command]
    if wo.state not in allowed:
        raise IllegalTransition(
            Text(
                f"状态为 {wo.state} 的工单不能执行 {command}",
                f"a work order in state {wo.state} cannot {command.replace('_', ' ')}",
            ),
            state=wo.state,
            action=command,
        )
    now, running = utcnow(), clocks.load(wo)
    if meet:
        for milestone in states.MEETS.get(command, ()):
            clocks.meet(running, (milestone,), now)
    return _Step(wo, command, timeline.actor_of(principal), now, running, wo.state, note, target)


async def _finish(session: AsyncSession, step: _Step, *, entry: bool = True, pause_reason=None) -> None:
    wo = step.wo
    if step.target is not None:
        wo.state = step.target
    clocks.store(wo, step.running)
    clocks.arm(session, wo, step.running)
    if entry:
        timeline.entry(
            session, wo, step.command, step.actor, step.note, before=step.before, pause_reason=pause_reason
        )
    await session.flush()


async def _progressed(session: AsyncSession, step: _Step) -> None:
    stage = states.STAGE[step.command]
    event = ev.WorkOrderProgressed(**await timeline.ref(session, step.wo), stage=stage, note=step.note)
    timeline.record(session, step.wo, event)


async def triage(
    session: AsyncSession, wo: WorkOrder, *, principal: Principal | None, note: str | None = None
):
    await _finish(session, _begin(session, wo, "triage", principal, note))
    return wo


async def assign(
    session: AsyncSession,
    wo: WorkOrder,
    *,
    principal: Principal | None,
    technician_id: uuid.UUID | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> WorkOrder:
    """To a technician the dispatcher chose (a reassignment needs a reason), or automatically."""
    step = _begin(session, wo, "assign", principal, note or reason, meet=False)
    if technician_id is None:
        await assignment.auto_assign(session, wo, actor=step.actor)
        return wo
    tech = await session.get(Technician, technician_id)
    if tech is None or tech.estate_id != wo.estate_id:
        raise TechnicianNotFound(f"technician {technician_id} not found in this estate")
    if (why := dispatch.qualified(tech, wo.category)) is not None:
        raise NotQualified(Text(f"{tech.name}：{why}", f"{tech.name} {why}"), reason=why)
    if step.before in ("assigned", "accepted") and not reason:
        raise InvalidInput(Text("改派须说明原因", "A reassignment needs a reason"))
    await assignment.assign_to(session, wo, tech, actor=step.actor, note=step.note)
    return wo


async def decline(
    session: AsyncSession,
    wo: WorkOrder,
    *,
    principal: Principal | None,
    note: str | None = None,
    reason: str | None = None,
) -> WorkOrder:
    """The technician cannot take it: it goes to the next one."""
    step = _begin(session, wo, "decline", principal, note or reason, meet=False)
    wo.declined_by = [*(wo.declined_by or []), wo.technician_id]
    wo.technician_id, wo.state = None, "triaged"
    timeline.entry(session, wo, "decline", step.actor, step.note, before=step.before)
    await session.flush()
    await assignment.auto_assign(session, wo, actor="system")
    return wo


async def accept(
    session: AsyncSession, wo: WorkOrder, *, principal: Principal | None, note: str | None = None
):
    return await _simple(session, wo, "accept", principal, note)


async def en_route(
    session: AsyncSession, wo: WorkOrder, *, principal: Principal | None, note: str | None = None
):
    return await _simple(session, wo, "en_route", principal, note)


async def arrive(
    session: AsyncSession, wo: WorkOrder, *, principal: Principal | None, note: str | None = None
):
    step = _begin(session, wo, "arrive", principal, note)
    wo.arrived_at = step.now
    await _finish(session, step)
    await _progressed(session, step)
    return wo


async def _simple(session: AsyncSession, wo: WorkOrder, command: str, principal, note) -> WorkOrder:
    step = _begin(session, wo, command, principal, note)
    await _finish(session, step)
    await _progressed(session, step)
    return wo


async def pause(
    session: AsyncSession,
    wo: WorkOrder,
    *,
    principal: Principal | None,
    pause_reason: str,
    note: str | None = None,
) -> WorkOrder:
    """Waiting for parts, the resident, access or the weather: the clocks stop."""
    step = _begin(session, wo, "pause", principal, note)
    clocks.pause(step.running, step.now)
    wo.paused_from, wo.pause_reason = step.before, pause_reason
    await _finish(session, step, pause_reason=pause_reason)
    await _progressed(session, step)
    return wo


async def resume(
    session: AsyncSession, wo: WorkOrder, *, principal: Principal | None, note: str | None = None
):
    """Back to where it paused; the clocks run again."""
    step = _begin(session, wo, "resume", principal, note)
    clocks.resume(step.running, step.now)
    step.target, wo.paused_from, wo.pause_reason = wo.paused_from or "accepted", None, None
    await _finish(session, step)
    await _progressed(session, step)
    return wo


async def complete(
    session: AsyncSession,
    wo: WorkOrder,
    *,
    principal: Principal | None,
    note: str,
    labour_minutes: int | None = None,
    photos: list[str] = (),
) -> WorkOrder:
    """Done: the reporters are asked to confirm, the order closes itself after the confirmation period, and
    payable work is charged."""
    step = _begin(session, wo, "complete", principal, note)
    wo.completed_at, wo.resolution = step.now, note
    wo.labour_minutes = labour_minutes if labour_minutes is not None else wo.labour_minutes
    wo.completion_photos = list(photos)
    await _finish(session, step)
    settings = await estates.settings_for(session, wo.estate_id)
    timers.schedule(
        session,
        kind="wo.autoclose",
        key=_autoclose_key(wo),
        due_at=wo.completed_at + dt.timedelta(days=settings.auto_close_days),
        payload={"work_order_id": str(wo.id)},
    )
    timeline.record(
        session,
        wo,
        ev.WorkOrderCompleted(
            work_order_id=wo.id,
            estate_id=wo.estate_id,
            reference=wo.reference,
            request_id=wo.request_id,
            unit_id=wo.unit_id,
            place_id=wo.place_id,
            resident_id=wo.reporter_resident_id,
            category=wo.category,
            urgency=wo.urgency,
            technician_id=wo.technician_id,
            completed_at=wo.completed_at,
            reporter_ids=await timeline.reporter_ids(session, wo),
            notes=wo.resolution or "",
        ),
    )
    if wo.payable and wo.unit_id is not None:
        await charges.charge(session, wo, settings.labour_rate_fen_per_hour)
    return wo


async def confirm(
    session: AsyncSession, wo: WorkOrder, *, principal: Principal | None, note: str | None = None
):
    """The resident confirms the work: the order closes."""
    await _finish(session, _begin(session, wo, "confirm", principal, note))
    await close(session, wo, actor=timeline.actor_of(principal), note="confirmed by the resident")
    return wo


async def reject(
    session: AsyncSession,
    wo: WorkOrder,
    *,
    principal: Principal | None,
    note: str | None = None,
    reason: str | None = None,
) -> WorkOrder:
    """The resident says it is not fixed: reopened."""
    return await _reopen(session, wo, "reject", principal, note or reason)


async def reopen(
    session: AsyncSession,
    wo: WorkOrder,
    *,
    principal: Principal | None,
    note: str | None = None,
    reason: str | None = None,
) -> WorkOrder:
    """Back to work (the desk, a dispatcher, or a bad follow-up score)."""
    return await _reopen(session, wo, "reopen", principal, note or reason)


async def _reopen(session: AsyncSession, wo: WorkOrder, command: str, principal, note) -> WorkOrder:
    step = _begin(session, wo, command, principal, note)
    wo.reopen_count += 1
    wo.completed_at = wo.closed_at = None
    wo.last_technician_id = wo.technician_id or wo.last_technician_id
    wo.open, wo.technician_id, wo.declined_by = True, None, []
    found = await estates.targets(session, wo.estate_id, wo.category, wo.urgency)
    restart = {m: v for m, v in found.items() if m != "acknowledge"}
    step.running = {
        **{m: c for m, c in step.running.items() if m == "acknowledge"},
        **clocks.start(restart, step.now),
    }
    timers.cancel(session, _autoclose_key(wo))
    await _finish(session, step)
    await _progressed(session, step)
    if (await estates.settings_for(session, wo.estate_id)).auto_dispatch:
        await assignment.auto_assign(session, wo, actor="system")
    return wo


async def cancel(
    session: AsyncSession,
    wo: WorkOrder,
    *,
    principal: Principal | None,
    note: str | None = None,
    reason: str | None = None,
) -> WorkOrder:
    step = _begin(session, wo, "cancel", principal, note or reason)
    wo.open, wo.closed_at = False, step.now
    await _finish(session, step)
    await _progressed(session, step)
    return wo


async def change_urgency(
    session: AsyncSession,
    wo: WorkOrder,
    *,
    principal: Principal | None,
    urgency: str,
    note: str | None = None,
) -> WorkOrder:
    """New targets: running clocks keep the time already used."""
    step = _begin(session, wo, "change_urgency", principal, note)
    if urgency == wo.urgency:
        raise IllegalTransition(
            Text("紧急程度未变化", "The urgency is already that"), state=wo.state, action="change_urgency"
        )
    found = await estates.targets(session, wo.estate_id, wo.category, urgency)
    step.running = clocks.retarget(step.running, found, wo.created_at, step.now)
    timeline.entry(
        session, wo, "change_urgency", step.actor, note, urgency_from=wo.urgency, urgency_to=urgency
    )
    wo.urgency = urgency
    await _finish(session, step, entry=False)
    return wo


async def close(session: AsyncSession, wo: WorkOrder, *, actor: str, note: str) -> None:
    before = wo.state
    wo.state, wo.open, wo.closed_at = "closed", False, utcnow()
    timers.cancel(session, _autoclose_key(wo))
    timeline.entry(session, wo, "close", actor, note, before=before)
    await session.flush()
    event = ev.WorkOrderProgressed(**await timeline.ref(session, wo), stage="closed", note=note)
    timeline.record(session, wo, event)


def _autoclose_key(wo: WorkOrder) -> str:
    return f"wo:{wo.id}:autoclose"


COMMANDS = {
    "triage": triage,
    "assign": assign,
    "accept": accept,
    "decline": decline,
    "en_route": en_route,
    "arrive": arrive,
    "pause": pause,
    "resume": resume,
    "complete": complete,
    "confirm": confirm,
    "reject": reject,
    "reopen": reopen,
    "cancel": cancel,
    "change_urgency": change_urgency,
}
