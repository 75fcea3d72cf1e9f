"""Who may do what in repairs, in one place."""

from __future__ import annotations

from propdesk.common.auth import STAFF_ROLES, Role, require_roles

ANYONE = require_roles(*Role)
STAFF = require_roles(*STAFF_ROLES)
DISPATCH = require_roles(Role.dispatcher, Role.manager)
MANAGERS = require_roles(Role.manager)
