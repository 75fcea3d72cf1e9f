"""The trial balance and the finance reports, as JSON, CSV or XLSX."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from propdesk.billing.api.deps import FINANCE, PERIOD
from propdesk.billing.service import ledger, reports
from propdesk.common.auth import Principal
from propdesk.common.web import Session

router = APIRouter(tags=["billing"])
ReportName = Literal[
    "collection", "revenue", "revenue-by-account", "arrears", "trial-balance", "reconciliation"
]


@router.get(
    "/v1/estates/{estate_id}/trial-balance",
    summary="Per account: opening balance, the period's debits and credits, closing balance (all time "
    "without a period); debits and credits always agree",
)
async def trial_balance(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(FINANCE),
    period: str | None = Query(None, pattern=PERIOD, description="YYYY-MM, estate time"),
) -> dict:
    principal.require_estate(estate_id)
    return await ledger.trial_balance(session, estate_id, period)


@router.get(
    "/v1/estates/{estate_id}/reports/{name}",
    summary="Finance reports as JSON: collection (收缴率 per month), revenue (billed, by fee item and account), "
    "revenue-by-account (recognised in the ledger, per revenue account of the chart), arrears, trial-balance, "
    "reconciliation (per day)",
)
async def report(
    estate_id: uuid.UUID,
    name: ReportName,
    session: Session,
    principal: Principal = Depends(FINANCE),
    period: str | None = Query(None, pattern=PERIOD),
) -> list[dict]:
    principal.require_estate(estate_id)
    return await reports.report(session, estate_id, name, period)


@router.get(
    "/v1/estates/{estate_id}/reports/{name}/export",
    response_class=Response,
    summary="The same report as CSV or XLSX",
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
async def report_export(
    estate_id: uuid.UUID,
    name: ReportName,
    session: Session,
    principal: Principal = Depends(FINANCE),
    period: str | None = Query(None, pattern=PERIOD),
    format: Literal["csv", "xlsx"] = "xlsx",
):
    principal.require_estate(estate_id)
    body, media = reports.export(await reports.report(session, estate_id, name, period), format, name)
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'}
    )
