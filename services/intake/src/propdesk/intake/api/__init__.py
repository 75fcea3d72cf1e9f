"""intake's HTTP routers, one module per sub-domain: parse, authorize, call the service, return."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from propdesk.intake.api import (
        cases,
        desk,
        estates,
        followups,
        imports,
        kpis,
        moves,
        people,
        registry,
        renovations,
        repairs,
        staff,
        violations,
        visitors,
    )

    return [
        estates.router,
        registry.router,
        people.router,
        staff.router,
        imports.router,
        cases.router,
        repairs.router,
        desk.router,
        visitors.router,
        followups.router,
        moves.router,
        renovations.router,
        violations.router,
        kpis.router,
    ]
