"""Who may see a work order and who may give it which command."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal, Role
from propdesk.common.errors import Forbidden, IllegalTransition
from propdesk.common.i18n import Text
from propdesk.repairs.models import WorkOrder
from propdesk.repairs.service import states, timeline


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
    reporters = await timeline.reporter_ids(session, wo) if principal.is_resident_only else []
    if not can_see(principal, wo, reporters):
        raise Forbidden(
            Text(
                "只能查看本人房屋或本人报修的工单",
                "You can only see your own units' orders and those you reported",
            )
        )


def authorize(principal: Principal, wo: WorkOrder, command: str) -> None:
    if principal.has(Role.dispatcher, Role.manager, Role.admin) and (
        command in states.DISPATCHER_COMMANDS or command in states.TECHNICIAN_COMMANDS
    ):
        return  # a dispatcher may also record a step for a technician who phoned it in
    if principal.has(Role.technician) and command in states.TECHNICIAN_COMMANDS:
        require_own(principal, wo)
        return
    if principal.is_resident_only and command in states.RESIDENT_COMMANDS:
        if command == "cancel" and wo.state not in ("reported", "triaged"):
            raise IllegalTransition(
                Text("已派工的工单请联系客服取消", "Once assigned, call the desk to cancel"),
                state=wo.state,
                action=command,
            )
        return
    if principal.has(Role.receptionist) and command in states.RECEPTIONIST_COMMANDS:
        return
    raise Forbidden(
        Text(f"您的角色不能执行 {command}", f"Your role cannot {command} a work order"), action=command
    )


def require_own(principal: Principal, wo: WorkOrder) -> None:
    """A technician acts only on the orders assigned to them (a dispatcher on any)."""
    if principal.has(Role.dispatcher, Role.manager, Role.admin):
        return
    if wo.technician_id is None or str(wo.technician_id) != principal.sub:
        raise Forbidden(Text("只能操作指派给本人的工单", "Technicians act only on orders assigned to them"))
