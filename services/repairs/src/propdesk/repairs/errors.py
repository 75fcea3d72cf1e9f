"""repairs's errors (problem+json types with zh-CN and en titles)."""

from __future__ import annotations

from propdesk.common.errors import Conflict, InvalidInput, NotFound
from propdesk.common.i18n import Text
from propdesk.common.projections import EstateNotKnown

__all__ = ["EstateNotKnown"]


class WorkOrderNotFound(NotFound):
    code = "work-order-not-found"
    title = Text("维修工单不存在", "Work order not found")


class LocationNotFound(InvalidInput):
    code = "location-not-found"
    title = Text("报修位置不存在或不属于该小区", "The unit or place does not exist in this estate")


class TechnicianNotFound(NotFound):
    code = "technician-not-found"
    title = Text("维修人员不存在", "Technician not found")


class NotQualified(Conflict):
    code = "technician-not-qualified"
    title = Text(
        "该维修人员不具备所需技能或证书", "The technician lacks the skill or certificate this work needs"
    )


class PriceItemNotFound(InvalidInput):
    code = "price-item-not-found"
    title = Text("价目表中没有该配件", "No such part in the estate's price list")


class ScheduleNotFound(NotFound):
    code = "maintenance-schedule-not-found"
    title = Text("保养计划不存在", "Maintenance schedule not found")
