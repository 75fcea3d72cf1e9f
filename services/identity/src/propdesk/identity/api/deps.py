"""Who may do what in identity, in one place; where a request comes from."""

from __future__ import annotations

from fastapi import Request

from propdesk.common.auth import Role, require_roles

ANYONE = require_roles(*Role)
ADMINISTRATORS = require_roles(Role.manager, Role.admin)


def address(request: Request) -> str | None:
    """The client's address (behind a proxy, uvicorn's --proxy-headers sets it from X-Forwarded-For)."""
    return request.client.host if request.client else None


def device(request: Request) -> str | None:
    return request.headers.get("user-agent")
