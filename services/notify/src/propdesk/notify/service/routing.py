"""Who hears about which event: one function per event type, returning (recipients, category, critical)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.events import Envelope, EventPayload
from propdesk.notify.service import duty
from propdesk.notify.service import recipients as r
from propdesk.notify.service.recipients import Person

Route = tuple[list[Person], str, bool]
Router = Callable[[AsyncSession, EventPayload, Envelope], Awaitable[Route]]


async def desk(session: AsyncSession, estate_id) -> list[Person]:
    """The front desk on duty now (every receptionist when the estate keeps no front-desk roster)."""
    return await duty.holding(session, estate_id, "receptionist")


async def case_opened(session, e, env) -> Route:
    """The front desk; a complaint about a member of staff also reaches their department's managers (the
    estate's, when the department has none), never the employee complained about."""
    people = await desk(session, e.estate_id)
    if e.employee_id is not None:
        managers = await r.staff_with(
            session, e.estate_id, roles=["manager"], department=e.employee_department
        )
        people += managers or await r.staff_with(session, e.estate_id, roles=["manager"])
    return [p for p in {p.id: p for p in people}.values() if p.id != e.employee_id], "case", False


async def case_assigned(session, e, env) -> Route:
    people = (
        await r.by_ids(session, [e.staff_id])
        if e.staff_id
        else await r.staff_with(session, e.estate_id, department=e.department)
    )
    return people, "case", False


async def case_sla(session, e, env) -> Route:
    if env.type.endswith("sla_breached"):
        return await duty.on_duty(session, e.estate_id, ["receptionist"]), "sla_breach", False
    return await desk(session, e.estate_id), "sla", False


async def case_escalated(session, e, env) -> Route:
    return await r.staff_with(session, e.estate_id, roles=["manager"]), "escalation", False


async def case_to_resident(session, e, env) -> Route:
    return (await r.by_ids(session, [e.resident_id]) if e.resident_id else []), "case", False


async def case_reopened(session, e, env) -> Route:
    return await desk(session, e.estate_id), "case", False


async def message_taken(session, e, env) -> Route:
    people = (
        await r.by_ids(session, [e.for_staff_id])
        if e.for_staff_id
        else await r.staff_with(session, e.estate_id, department=e.for_department)
    )
    return people, "message", False


async def callback_overdue(session, e, env) -> Route:
    people = await r.by_ids(session, [e.assignee_id]) if e.assignee_id else await desk(session, e.estate_id)
    return people, "callback", False


async def visit_to_host(session, e, env) -> Route:
    if env.type == "intake.visit.registered" and e.kind != "walk_in":
        return [], "visitor", False  # the resident registered it themselves
    return await r.residents_of_units(session, [e.unit_id]), "visitor", False


async def visit_overstayed(session, e, env) -> Route:
    return await duty.on_duty(session, e.estate_id, ["duty_officer", "receptionist"]), "security", False


async def work_order_assigned(session, e, env) -> Route:
    reporters = list(dict.fromkeys([*([e.resident_id] if e.resident_id else []), *e.reporter_ids]))
    return await r.by_ids(session, [e.technician_id, *reporters]), "repair", False


async def to_reporters(session, e, env) -> Route:
    return await r.by_ids(session, list(e.reporter_ids)), "repair", False


async def dispatchers(session, e, env) -> Route:
    """An order nobody could take: urgent, to the dispatcher on duty (then on call, then the managers)."""
    return await duty.on_duty(session, e.estate_id, ["dispatcher"]), "unassignable", False


async def work_order_sla(session, e, env) -> Route:
    """A warning waits in the digest of the dispatchers on duty and the technician; a breach goes out at once
    to the dispatcher on duty (then on call, then the managers) and the technician."""
    breach = env.type.endswith("sla_breached")
    if breach:
        people = await duty.on_duty(session, e.estate_id, ["dispatcher"])
    else:
        people = await duty.holding(session, e.estate_id, "dispatcher")
    if e.technician_id:
        people += await r.by_ids(session, [e.technician_id])
    return list({p.id: p for p in people}.values()), "sla_breach" if breach else "sla", False


async def maintenance_missed(session, e, env) -> Route:
    people = await duty.holding(session, e.estate_id, "dispatcher")
    people += await r.staff_with(session, e.estate_id, roles=["manager"])
    return list({p.id: p for p in people}.values()), "repair", False


async def to_resident(session, e, env) -> Route:
    return (await r.by_ids(session, [e.resident_id]) if e.resident_id else []), "service", False


async def follow_up_dissatisfied(session, e, env) -> Route:
    return await r.staff_with(session, e.estate_id, roles=["manager"]), "case", False


async def follow_up_overdue(session, e, env) -> Route:
    return (
        (await r.by_ids(session, [e.assignee_id]) if e.assignee_id else await desk(session, e.estate_id)),
        "case",
        False,
    )


async def renovation_applied(session, e, env) -> Route:
    return await desk(session, e.estate_id), "renovation", False


async def violation_noticed(session, e, env) -> Route:
    return (await r.residents_of_units(session, [e.unit_id]) if e.unit_id else []), "violation", False


async def violation_escalated(session, e, env) -> Route:
    return await r.staff_with(session, e.estate_id, roles=["manager"]), "escalation", False


async def vacant_inspection_due(session, e, env) -> Route:
    return await desk(session, e.estate_id), "inspection", False


async def incident_triggered(session, e, env) -> Route:
    """The duty officer on duty now (then whoever is on call, then the managers), at once and through quiet
    hours; a drill tells them too, marked as one. Nobody off duty is woken: a step nobody acknowledges
    escalates up its chain (incidents), and the chain's managers hear then."""
    return await duty.on_duty(session, e.estate_id, ["duty_officer"]), "incident", not e.drill


async def step_escalated(session, e, env) -> Route:
    people = []
    if e.staff_role:
        people += await duty.holding(session, e.estate_id, e.staff_role)
    if e.department:
        people += await r.staff_with(session, e.estate_id, department=e.department)
    if not people:  # nobody holds that role here, or nobody is on duty for it: the duty chain hears
        people = await duty.on_duty(session, e.estate_id, ["duty_officer"])
    return list({p.id: p for p in people}.values()), "incident", not e.drill


async def help_requested(session, e, env) -> Route:
    return await duty.on_duty(session, e.estate_id, ["duty_officer"]), "incident", not e.drill


async def payer(session, e) -> list[Person]:
    """Money goes to the unit's payer alone (billing names them: a named tenant, else the owner); an event from
    before billing named payers, or a unit nobody pays for yet, reaches its residents."""
    if getattr(e, "payer_id", None):
        return await r.by_ids(session, [e.payer_id])
    return await r.residents_of_units(session, [e.unit_id])


async def invoice_issued(session, e, env) -> Route:
    return await payer(session, e), "billing", False


async def payment_received(session, e, env) -> Route:
    """The payer hears that the money arrived, with the receipt's number."""
    return await payer(session, e), "billing", False


async def deposit_released(session, e, env) -> Route:
    """The payer hears the deposit was paid back, and what was kept."""
    return await payer(session, e), "billing", False


async def dunning_stage(session, e, env) -> Route:
    if e.stage == "manager":
        return await r.staff_with(session, e.estate_id, roles=["manager", "finance"]), "billing", False
    return await payer(session, e), "billing", False


ROUTES: dict[str, Router] = {
    "billing.dunning.stage": dunning_stage,
    "billing.invoice.issued": invoice_issued,
    "billing.payment.received": payment_received,
    "billing.deposit.released": deposit_released,
    "incidents.help.requested": help_requested,
    "incidents.incident.triggered": incident_triggered,
    "incidents.step.escalated": step_escalated,
    "intake.follow_up.created": to_resident,
    "intake.follow_up.dissatisfied": follow_up_dissatisfied,
    "intake.follow_up.overdue": follow_up_overdue,
    "intake.move_in.completed": to_resident,
    "intake.renovation.applied": renovation_applied,
    "intake.renovation.reviewed": to_resident,
    "intake.renovation.accepted": to_resident,
    "intake.violation.noticed": violation_noticed,
    "intake.violation.escalated": violation_escalated,
    "intake.vacant_unit.inspection_due": vacant_inspection_due,
    "repairs.work_order.assigned": work_order_assigned,
    "repairs.work_order.unassignable": dispatchers,
    "repairs.work_order.progressed": to_reporters,
    "repairs.work_order.completed": to_reporters,
    "repairs.work_order.sla_warning": work_order_sla,
    "repairs.work_order.sla_breached": work_order_sla,
    "repairs.maintenance.missed": maintenance_missed,
    "intake.case.opened": case_opened,
    "intake.case.assigned": case_assigned,
    "intake.case.sla_warning": case_sla,
    "intake.case.sla_breached": case_sla,
    "intake.case.escalated": case_escalated,
    "intake.case.resolved": case_to_resident,
    "intake.case.reopened": case_reopened,
    "intake.message.taken": message_taken,
    "intake.callback.overdue": callback_overdue,
    "intake.visit.registered": visit_to_host,
    "intake.visit.checked_in": visit_to_host,
    "intake.visit.overstayed": visit_overstayed,
}
