"""incidents's errors (problem+json types with zh-CN and en titles)."""

from __future__ import annotations

from propdesk.common.errors import InvalidInput, NotFound
from propdesk.common.i18n import Text
from propdesk.common.projections import EstateNotKnown

__all__ = ["EstateNotKnown"]


class IncidentNotFound(NotFound):
    code = "incident-not-found"
    title = Text("事件不存在", "Incident not found")


class UnitNotFound(NotFound):
    code = "unit-not-found"
    title = Text("房屋不存在", "Unit not found")


class PlaceNotFound(NotFound):
    code = "place-not-found"
    title = Text("地点不存在", "Place not found")


class PlaybookNotFound(NotFound):
    code = "playbook-not-found"
    title = Text("应急预案不存在", "Playbook not found")


class PlaybookRejected(InvalidInput):
    code = "playbook-invalid"
    title = Text("应急预案有误，未保存", "The playbook has problems; nothing was saved")


class WrongEstate(InvalidInput):
    code = "wrong-estate"
    title = Text("所引用的记录属于其他小区", "The record referenced belongs to another estate")
