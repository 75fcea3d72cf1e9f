"""Who may do what at the desk, in one place."""

from __future__ import annotations

from fastapi import Request

from propdesk.common.auth import STAFF_ROLES, Role, require_roles

STAFF = require_roles(*STAFF_ROLES)
DESK = require_roles(Role.receptionist, Role.manager)
MANAGERS = require_roles(Role.manager)
ANYONE = require_roles(*Role)


def id_key(request: Request) -> str:
    return request.app.state.runtime.settings.id_hash_key.get_secret_value()
