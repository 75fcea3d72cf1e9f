from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Body, Depends, Path, Query

from propdesk.billing.api.deps import FINANCE, actor
from propdesk.billing.schemas import (
    ManualMatch,
    StatementColumns,
    StatementLineRead,
    StatementMappingRead,
)
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
    summary="Import a bank or wallet statement: a bank's CSV or XLSX export (UTF-8 or GB18030; a signed amount "
    "or debit/credit columns; the columns from `mapping`, or recognised by their usual Chinese names), WeChat "
    "Pay's or Alipay's merchant bill, MT940, CAMT.053. Its credits are matched automatically, the rest wait for "
    "finance; a line already imported (same reference) is skipped. A refusal names the row and the column",
    openapi_extra={
        "requestBody": {
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
            "required": True,
        }
    },
)
async def import_statement(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(FINANCE),
    format: Literal["csv", "xlsx", "wechat", "alipay", "mt940", "camt053"] = Query(...),
    mapping: str | None = Query(
        None,
        max_length=2000,
        description="CSV and XLSX: the columns as JSON (e.g. "
        '{"date": "交易日期", "credit": "贷方发生额", "debit": "借方发生额", "reference": "流水号", "name": "对方户名", '
        '"memo": "摘要"}), a preset (icbc, ccb, abc, boc, cmb) or a mapping saved for the estate; none or '
        "`auto` recognises the usual column names",
    ),
    body: bytes = Body(..., media_type="text/plain"),
) -> dict:
    principal.require_estate(estate_id)
    saved = await reconciliation.saved_mapping(session, estate_id, mapping) if mapping else None
    parsed = statements.read_file(format, body, statements.mapping_of(mapping, saved))
    return await reconciliation.import_statement(session, estate_id, format, parsed, actor(principal))


@router.get(
    "/v1/estates/{estate_id}/statement-mappings",
    response_model=list[StatementMappingRead],
    summary="The column mappings an import can name: the estate's saved ones and the presets",
)
async def statement_mappings(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(FINANCE)):
    principal.require_estate(estate_id)
    return await reconciliation.mappings(session, estate_id)


@router.put(
    "/v1/estates/{estate_id}/statement-mappings/{name}",
    response_model=StatementMappingRead,
    summary="Save the columns of a bank's export under a name, for the next imports",
)
async def save_statement_mapping(
    estate_id: uuid.UUID,
    data: StatementColumns,
    session: Session,
    name: str = Path(pattern=r"^[A-Za-z0-9_\-]{1,40}$", examples=["icbc-basic"]),
    principal: Principal = Depends(FINANCE),
):
    principal.require_estate(estate_id)
    return await reconciliation.save_mapping(session, estate_id, name, data, actor(principal))


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
