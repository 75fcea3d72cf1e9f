from __future__ import annotations

from propdesk.common.errors import NotFound
from propdesk.common.i18n import Text


class EstateNotKnown(NotFound):
    code = "estate-not-known"
    title = Text("本服务尚未收到该小区", "Estate not (yet) known to this service")
