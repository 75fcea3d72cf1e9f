"""incidents's HTTP routers."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from propdesk.incidents.api import incidents, playbooks, reports, residents

    return [playbooks.router, incidents.router, residents.router, reports.router]
