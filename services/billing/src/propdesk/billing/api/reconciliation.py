from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Body, Depends, Query

from propdesk.billing.api.deps import FINANCE, actor
from propdesk.billing.schemas import ManualMatch, StatementLineRead
from propdesk.billing.service import reconciliation, statements
from propdesk.common.auth import Principal
from propdesk.common.inputs import Day
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session

STATEMENT_MAX_BYTES = 16 * 2**20  # a month of a busy estate's bank lines is a few MB
router = APIRouter(tags=["bank reconciliation"])


@router.post(
    "/v1/estates/{estate_id}/bank-statements",
    max_body_size=STATEMENT_MAX_BYTES,
    summary="Import a bank statement (CSV with a column mapping, MT940, CAMT.053); its credits are matched "
    "automatically, the rest wait for finance. A line already imported (same bank reference) is skipped",
    openapi_extra={
        "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_statement(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(FINANCE),
    format: Literal["csv", "mt940", "camt053"] = Query(...),
    mapping: str | None = Query(
        None,
        description='CSV only: JSON of column names, e.g. {"date": "交易日期", "amount": "金额", "reference": "流水号", "name": "对方户名", "memo": "摘要"}',
    ),
    body: bytes = Body(..., media_type="text/plain"),
) -> dict:
    principal.require_estate(estate_id)
    parsed = statements.read_file(format, body, mapping)
    return await reconciliation.import_statement(session, estate_id, format, parsed, actor(principal))


@router.get(
    "/v1/estates/{estate_id}/statement-lines",
    response_model=Page[StatementLineRead],
    summary="Statement lines, by state and day",
)
async def lines(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(FINANCE),
    state: str | None = None,
    day: Day | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    items, cursor = await reconciliation.lines(session, estate_id, state=state, day=day, params=params)
    return Page(items=[StatementLineRead.model_validate(x) for x in items], next_cursor=cursor)


@router.get(
    "/v1/statement-lines/{line_id}/candidates",
    summary="What each matching rule suggests for a line, best first",
)
async def line_candidates(
    line_id: uuid.UUID, session: Session, principal: Principal = Depends(FINANCE)
) -> list[dict]:
    return await reconciliation.candidates_of(
        session, await reconciliation.line_of(session, line_id, principal)
    )


@router.post(
    "/v1/statement-lines/{line_id}/match",
    response_model=StatementLineRead,
    summary="Match a line by hand to a unit (and invoices)",
)
async def match(
    line_id: uuid.UUID, data: ManualMatch, session: Session, principal: Principal = Depends(FINANCE)
):
    line = await reconciliation.line_of(session, line_id, principal)
    return StatementLineRead.model_validate(
        await reconciliation.manual_match(
            session,
            line,
            unit_id=data.unit_id,
            invoice_ids=data.invoice_ids,
            actor=actor(principal),
        )
    )


@router.post(
    "/v1/statement-lines/{line_id}/unmatch",
    response_model=StatementLineRead,
    summary="Undo a match: its payment is reversed",
)
async def unmatch(line_id: uuid.UUID, session: Session, principal: Principal = Depends(FINANCE)):
    line = await reconciliation.line_of(session, line_id, principal)
    return StatementLineRead.model_validate(
        await reconciliation.unmatch(session, line, actor=actor(principal))
    )


@router.post(
    "/v1/estates/{estate_id}/reconciliation-days/{day}/close",
    summary="Close a day once none of its lines is unmatched; a closed day does not change again",
)
async def close(
    estate_id: uuid.UUID, day: Day, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    principal.require_estate(estate_id)
    row = await reconciliation.close_day(session, estate_id, day, actor=actor(principal))
    return {"day": row.day.isoformat(), "closed_at": row.closed_at.isoformat(), "closed_by": row.closed_by}


@router.get(
    "/v1/estates/{estate_id}/reconciliation-report",
    summary="Per day: lines, matched by rule, unmatched, amounts, closed or not",
)
async def report(
    estate_id: uuid.UUID, session: Session, principal: Principal = Depends(FINANCE)
) -> list[dict]:
    principal.require_estate(estate_id)
    return await reconciliation.daily_report(session, estate_id)
