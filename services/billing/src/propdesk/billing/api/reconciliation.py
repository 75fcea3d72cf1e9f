from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Literal

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy import select

from propdesk.billing.models import StatementLine
from propdesk.billing.schemas import ManualMatch, StatementLineRead
from propdesk.billing.service import reconciliation
from propdesk.common.auth import Principal, Role, require_roles
from propdesk.common.errors import InvalidInput, NotFound
from propdesk.common.i18n import Text
from propdesk.common.pagination import Page, PageParams, page_of, page_params, paginate
from propdesk.common.web import Session

router = APIRouter(tags=["bank reconciliation"])
FINANCE = require_roles(Role.finance, Role.manager)


class LineNotFound(NotFound):
    code = "statement-line-not-found"
    title = Text("银行流水不存在", "Statement line not found")


@router.post(
    "/v1/estates/{estate_id}/bank-statements",
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
    columns = None
    if format == "csv":
        try:
            columns = json.loads(mapping or "")
            assert isinstance(columns, dict)
        except (ValueError, AssertionError) as exc:
            raise InvalidInput(
                Text(
                    "CSV 须提供列映射 mapping（JSON）", "A CSV import needs the mapping of its columns (JSON)"
                )
            ) from exc
    try:
        parsed = reconciliation.parse(format, body, columns)
    except InvalidInput:
        raise
    except Exception as exc:  # a file the parser cannot read is the sender's problem, not a 500
        raise InvalidInput(
            Text("无法解析银行流水文件", f"the statement does not parse as {format}: {exc}")
        ) from exc
    return await reconciliation.import_statement(
        session, estate_id, format, parsed, principal.name or principal.sub
    )


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
    day: dt.date | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    stmt = select(StatementLine).where(StatementLine.estate_id == estate_id)
    if state is not None:
        stmt = stmt.where(StatementLine.state == state)
    if day is not None:
        stmt = stmt.where(StatementLine.booked_on == day)
    rows = (
        await session.execute(
            paginate(stmt, params, key=StatementLine.booked_on, tiebreak=StatementLine.id, descending=False)
        )
    ).scalars()
    items, cursor = page_of(list(rows), params, cursor_of=lambda x: [x.booked_on.isoformat(), str(x.id)])
    return Page(items=[StatementLineRead.model_validate(x) for x in items], next_cursor=cursor)


async def _line(session, line_id: uuid.UUID, principal: Principal) -> StatementLine:
    line = await session.get(StatementLine, line_id, with_for_update=True)
    if line is None:
        raise LineNotFound(f"statement line {line_id} not found")
    principal.require_estate(line.estate_id)
    return line


@router.get(
    "/v1/statement-lines/{line_id}/candidates",
    summary="What each matching rule suggests for a line, best first",
)
async def line_candidates(
    line_id: uuid.UUID, session: Session, principal: Principal = Depends(FINANCE)
) -> list[dict]:
    line = await _line(session, line_id, principal)
    return [
        {**c, "unit_id": str(c["unit_id"]), "invoice_ids": [str(i) for i in c["invoice_ids"]]}
        for c in reconciliation.candidates(
            await reconciliation.Book.load(session, line.estate_id, lock=False), line
        )
    ]


@router.post(
    "/v1/statement-lines/{line_id}/match",
    response_model=StatementLineRead,
    summary="Match a line by hand to a unit (and invoices)",
)
async def match(
    line_id: uuid.UUID, data: ManualMatch, session: Session, principal: Principal = Depends(FINANCE)
):
    line = await _line(session, line_id, principal)
    return StatementLineRead.model_validate(
        await reconciliation.manual_match(
            session,
            line,
            unit_id=data.unit_id,
            invoice_ids=data.invoice_ids,
            actor=principal.name or principal.sub,
        )
    )


@router.post(
    "/v1/statement-lines/{line_id}/unmatch",
    response_model=StatementLineRead,
    summary="Undo a match: its payment is reversed",
)
async def unmatch(line_id: uuid.UUID, session: Session, principal: Principal = Depends(FINANCE)):
    line = await _line(session, line_id, principal)
    return StatementLineRead.model_validate(
        await reconciliation.unmatch(session, line, actor=principal.name or principal.sub)
    )


@router.post(
    "/v1/estates/{estate_id}/reconciliation-days/{day}/close",
    summary="Close a day once none of its lines is unmatched; a closed day does not change again",
)
async def close(
    estate_id: uuid.UUID, day: dt.date, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    principal.require_estate(estate_id)
    row = await reconciliation.close_day(session, estate_id, day, actor=principal.name or principal.sub)
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
