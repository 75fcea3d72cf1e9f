from __future__ import annotations

from propdesk.common.errors import Conflict, NotFound
from propdesk.common.i18n import Text


class EstateNotFound(NotFound):
    code = "estate-not-found"
    title = Text("小区不存在", "Estate not found")


class EstateCodeTaken(Conflict):
    code = "estate-code-taken"
    title = Text("小区编码已被使用", "Estate code already in use")
