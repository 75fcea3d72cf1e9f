"""Who may do what in notify, in one place."""

from __future__ import annotations

from propdesk.common.auth import Role, require_roles

MANAGERS = require_roles(Role.manager)
DESK_READERS = require_roles(Role.manager, Role.receptionist)
SENDERS = require_roles(Role.manager, Role.duty_officer)
ADMINS = require_roles(Role.admin)
