"""repairs's HTTP routers, one module per sub-domain."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from propdesk.repairs.api import estates, maintenance, technicians, workorders

    return [estates.router, technicians.router, workorders.router, maintenance.router]
