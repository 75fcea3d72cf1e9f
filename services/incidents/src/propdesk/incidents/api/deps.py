"""Who may do what: duty officers and managers run incidents; any staff member works its steps."""

from __future__ import annotations

from propdesk.common.auth import STAFF_ROLES, Role, require_roles

COMMAND = require_roles(Role.duty_officer, Role.manager)
STAFF = require_roles(*STAFF_ROLES)
MANAGERS = require_roles(Role.manager)
