"""Who may do what in billing, in one place."""

from __future__ import annotations

from propdesk.common.auth import Role, require_roles

FINANCE = require_roles(Role.finance, Role.manager)
CASHIERS = require_roles(Role.finance, Role.manager, Role.receptionist)
ANYONE = require_roles(*Role)
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"  # YYYY-MM


def actor(principal) -> str:
    return principal.name or principal.sub
