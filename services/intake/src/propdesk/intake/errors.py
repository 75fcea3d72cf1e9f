from __future__ import annotations

from propdesk.common.errors import Conflict, DomainError, IllegalTransition, InvalidInput, NotFound
from propdesk.common.i18n import Text


class EstateNotFound(NotFound):
    code = "estate-not-found"
    title = Text("小区不存在", "Estate not found")


class EstateCodeTaken(Conflict):
    code = "estate-code-taken"
    title = Text("小区编码已被使用", "Estate code already in use")


class BuildingNotFound(NotFound):
    code = "building-not-found"
    title = Text("楼栋不存在", "Building not found")


class UnitNotFound(NotFound):
    code = "unit-not-found"
    title = Text("房屋不存在", "Unit not found")


class ResidentNotFound(NotFound):
    code = "resident-not-found"
    title = Text("住户不存在", "Resident not found")


class OccupancyNotFound(NotFound):
    code = "occupancy-not-found"
    title = Text("入住记录不存在", "Occupancy not found")


class StaffNotFound(NotFound):
    code = "staff-not-found"
    title = Text("员工不存在", "Staff member not found")


class DutyShiftNotFound(NotFound):
    code = "duty-shift-not-found"
    title = Text("值班记录不存在", "Duty shift not found")


class DuplicateCode(Conflict):
    code = "duplicate-code"
    title = Text("编号已存在", "This code or number already exists in the estate")


class WrongEstate(InvalidInput):
    code = "wrong-estate"
    title = Text("所引用的记录不属于该小区", "The referenced record belongs to another estate")


class OccupancyEnded(IllegalTransition):
    code = "occupancy-already-ended"
    title = Text("该入住记录已结束", "This occupancy has already ended")


class AlreadyOccupying(Conflict):
    code = "already-occupying"
    title = Text("该住户已以此身份入住该房屋", "The resident already holds this role in the unit")


class ImportRejected(InvalidInput):
    code = "import-rejected"
    title = Text("导入文件有错误,未写入任何数据", "The file has errors; nothing was imported")


class CaseNotFound(NotFound):
    code = "case-not-found"
    title = Text("工单不存在", "Case not found")


class RepairRequestNotFound(NotFound):
    code = "repair-request-not-found"
    title = Text("报修请求不存在", "Repair request not found")


class FollowUpNotFound(NotFound):
    code = "follow-up-not-found"
    title = Text("回访记录不存在", "Follow-up not found")


class MoveInNotFound(NotFound):
    code = "move-in-not-found"
    title = Text("入住交付记录不存在", "Move-in not found")


class RenovationNotFound(NotFound):
    code = "renovation-not-found"
    title = Text("装修申请不存在", "Renovation not found")


class InspectionNotFound(NotFound):
    code = "inspection-not-found"
    title = Text("巡查记录不存在", "Inspection not found")


class ViolationNotFound(NotFound):
    code = "violation-not-found"
    title = Text("违章记录不存在", "Violation not found")


class UnsupportedFile(DomainError):
    status = 415
    code = "unsupported-file"
    title = Text("不支持的文件类型", "Unsupported file")


class EmptyFile(InvalidInput):
    code = "empty-file"
    title = Text("文件中没有数据行", "The file has no rows")


class FileTooLarge(DomainError):
    status = 413
    code = "file-too-large"
    title = Text("文件过大", "File too large")


class CallNotFound(NotFound):
    code = "call-not-found"
    title = Text("来电记录不存在", "Call not found")


class MessageNotFound(NotFound):
    code = "message-not-found"
    title = Text("留言不存在", "Message not found")


class CallbackNotFound(NotFound):
    code = "callback-not-found"
    title = Text("回电任务不存在", "Callback task not found")


class VisitNotFound(NotFound):
    code = "visit-not-found"
    title = Text("来访记录不存在", "Visit not found")


class VisitorBlocked(Conflict):
    code = "visitor-blocked"
    title = Text("该访客在禁止来访名单中", "This visitor is on the blocked list")


class OutsideWindow(Conflict):
    code = "outside-visit-window"
    title = Text("不在预约来访时间内", "Outside the registered visit window")
