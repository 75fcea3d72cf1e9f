"""billing's HTTP routers."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from propdesk.billing.api import estates, money, reconciliation

    return [estates.router, money.router, reconciliation.router]
