"""Who may do what in billing, in one place."""

from __future__ import annotations

from propdesk.common.auth import Role, require_roles

# Money (invoices, accounts, payments, deposits, reports) is for finance and managers (and admins) of the
# estate. The front desk reads a unit's balance and open invoices to answer a caller, and keeps fee items and
# meter readings; it records no money. A resident reads their own units' invoices and account. Nobody else
# (technicians, dispatchers, duty officers) sees money. `test_roles.py` calls every operation as every role.
FINANCE = require_roles(Role.finance, Role.manager)
MANAGER = require_roles(Role.manager)  # waives a late fee
DESK = require_roles(Role.finance, Role.manager, Role.receptionist)
READERS = require_roles(Role.finance, Role.manager, Role.receptionist, Role.resident)
PAYERS = require_roles(
    Role.finance, Role.manager, Role.resident
)  # a receipt: finance, or the unit's resident
ANYONE = require_roles(*Role)
PERIOD = r"^20\d{2}-(0[1-9]|1[0-2])$"  # YYYY-MM, 2000-2099 (a month the ledger can hold)


def actor(principal) -> str:
    return principal.name or principal.sub
