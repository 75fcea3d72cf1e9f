"""billing's errors (problem+json types with zh-CN and en titles)."""

from __future__ import annotations

from propdesk.common.errors import InvalidInput, NotFound
from propdesk.common.i18n import Text
from propdesk.common.projections import EstateNotKnown

__all__ = ["EstateNotKnown"]


class BillingNotFound(NotFound):
    code = "billing-record-not-found"
    title = Text("记录不存在", "Not found")


class LineNotFound(NotFound):
    code = "statement-line-not-found"
    title = Text("银行流水不存在", "Statement line not found")


class Unbalanced(InvalidInput):
    code = "unbalanced-entry"
    title = Text("借贷不平衡", "The entry does not balance")


class WrongEstate(InvalidInput):
    code = "wrong-estate"
    title = Text("所引用的记录属于其他小区", "The record referenced belongs to another estate")
