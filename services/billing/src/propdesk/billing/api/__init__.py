"""billing's HTTP routers, one module per sub-domain: parse, authorize, call the service, return."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from propdesk.billing.api import (
        collection,
        deposits,
        estates,
        fees,
        invoices,
        meters,
        payments,
        reconciliation,
        reports,
    )

    return [
        estates.router,
        fees.router,
        invoices.router,
        payments.router,
        deposits.router,
        collection.router,
        reports.router,
        meters.router,
        reconciliation.router,
    ]
