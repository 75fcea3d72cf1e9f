"""Who may do what in notify, in one place."""

from __future__ import annotations

import uuid

from propdesk.common.auth import Principal, Role, require_roles
from propdesk.common.errors import Forbidden
from propdesk.common.i18n import Text

MANAGERS = require_roles(Role.manager)
DESK_READERS = require_roles(Role.manager, Role.receptionist)
SENDERS = require_roles(Role.manager, Role.duty_officer)
ADMINS = require_roles(Role.admin)


def may_configure(principal: Principal, estate_id: uuid.UUID | None) -> None:
    """An estate's configuration is its own staff's; the platform's (no estate) its admins' only."""
    if estate_id is None:
        if not principal.all_estates:
            raise Forbidden(
                Text("平台级设置仅平台管理员可修改", "Only the platform's admins configure every estate")
            )
    else:
        principal.require_estate(estate_id)
