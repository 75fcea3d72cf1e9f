"""Who may do what in billing, in one place."""

from __future__ import annotations

from propdesk.common.auth import Role, require_roles

FINANCE = require_roles(Role.finance, Role.manager)
CASHIERS = require_roles(Role.finance, Role.manager, Role.receptionist)
ANYONE = require_roles(*Role)
PERIOD = r"^20\d{2}-(0[1-9]|1[0-2])$"  # YYYY-MM, 2000-2099 (a month the ledger can hold)


def actor(principal) -> str:
    return principal.name or principal.sub
