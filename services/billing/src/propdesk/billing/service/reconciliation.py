"""Bank reconciliation (对账): import a statement (parsed by `statements`), then match each incoming credit
(`matching`: rules in order, each match explained). A match becomes a bank-transfer payment (allocated as any payment is). What is left unmatched waits for
finance: manual match, undo (the payment is reversed), and a day is closed once nothing of it is unmatched;
a closed day does not change again."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.errors import LineNotFound
from propdesk.billing.models import (
    Payment,
    ReconciliationDay,
    Statement,
    StatementLine,
    StatementMapping,
    Unit,
    estate,
)
from propdesk.billing.service import collection, matching, payments, statements
from propdesk.common import projections
from propdesk.common.errors import IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.logging import get_logger
from propdesk.common.pagination import PageParams, page_of, paginate
from propdesk.common.timeutil import utcnow

log = get_logger(__name__)


class _Phases:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._at = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[f"{name}_ms"] = round((now - self._at) * 1000, 1)
        self._at = now


async def import_statement(
    session: AsyncSession, estate_id: uuid.UUID, fmt: str, parsed: list[dict], actor: str
) -> dict:
    """Import and match in memory, then write everything with a few set-based statements: the lines, the
    payments, allocations, invoice balances, journal entries and events. One import per estate at a time."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"billing.reconciliation:{estate_id}"},
    )
    credits = [line for line in parsed if line["amount_fen"] > 0]
    statement = Statement(estate_id=estate_id, format=fmt, imported_by=actor, lines=len(credits))
    session.add(statement)
    await session.flush()
    seen = set(  # one array parameter, however long the statement
        (
            await session.execute(
                text(
                    "SELECT bank_reference FROM billing.statement_line "
                    "WHERE estate_id = :e AND bank_reference = ANY(CAST(:refs AS text[]))"
                ),
                {"e": estate_id, "refs": list({c["bank_reference"] for c in credits})},
            )
        ).scalars()
    )
    new: list[matching.Credit] = []
    for c in credits:
        if c["bank_reference"] not in seen:
            seen.add(c["bank_reference"])
            new.append(matching.Credit(**c))
    new.sort(key=lambda x: (x.booked_on, x.bank_reference))
    clock = _Phases()
    tolerance = (await collection.policy_of(session, estate_id)).reconciliation_tolerance_fen
    book = await matching.Book.load(session, estate_id)
    clock.lap("load")
    plan = payments.Plan(estate_id, statements.CHANNEL.get(fmt, "bank_transfer"), actor)
    outcomes = [matching.auto_match(book, plan, line, tolerance) for line in new]
    clock.lap("match")
    await plan.write(session)
    clock.lap("write_payments")
    receipts = {p.id: p.receipt_number for p in plan.payments}
    for outcome in outcomes:
        for split in outcome.get("payments", []):
            split["receipt_number"] = receipts[uuid.UUID(split["payment_id"])]
    await session.execute(
        text("""
        INSERT INTO billing.statement_line (id, statement_id, estate_id, booked_on, amount_fen, payer_name, memo,
               bank_reference, state, rule, score, explanation, unit_id, payment_id, matched_by)
        SELECT gen_random_uuid(), :statement, :estate, booked, amount, payer, memo, ref,
               CASE WHEN payment IS NULL THEN 'unmatched' ELSE 'matched' END, rule, score, expl::jsonb, unit,
               payment, CASE WHEN payment IS NULL THEN NULL ELSE :actor END
        FROM unnest(CAST(:booked AS date[]), CAST(:amount AS bigint[]), CAST(:payer AS text[]),
                    CAST(:memo AS text[]), CAST(:ref AS text[]), CAST(:rule AS text[]), CAST(:score AS numeric[]),
                    CAST(:expl AS text[]), CAST(:unit AS uuid[]), CAST(:payment AS uuid[]))
             AS x(booked, amount, payer, memo, ref, rule, score, expl, unit, payment)
        """),
        {
            "statement": statement.id,
            "estate": estate_id,
            "actor": actor,
            "booked": [x.booked_on for x in new],
            "amount": [x.amount_fen for x in new],
            "payer": [x.payer_name[:200] for x in new],
            "memo": [x.memo[:500] for x in new],
            "ref": [x.bank_reference[:100] for x in new],
            "rule": [o.get("rule") for o in outcomes],
            "score": [Decimal(str(o["score"])) if "score" in o else None for o in outcomes],
            "expl": [json.dumps(o, ensure_ascii=False, default=str) for o in outcomes],
            "unit": [uuid.UUID(o["unit_id"]) if "unit_id" in o else None for o in outcomes],
            "payment": [
                uuid.UUID(o["payments"][0]["payment_id"]) if o.get("payments") else None for o in outcomes
            ],
        },
    )
    clock.lap("write_lines")
    matched = sum(1 for o in outcomes if o.get("payments"))
    log.info(
        "reconciliation.imported", estate_id=str(estate_id), lines=len(new), matched=matched, **clock.laps
    )
    return {
        "statement_id": str(statement.id),
        "lines": len(parsed),
        "credits": len(credits),
        "new": len(new),
        "duplicates": len(credits) - len(new),
        "matched": matched,
        "unmatched": len(new) - matched,
    }


async def _require_open_day(session: AsyncSession, line: StatementLine, action: str) -> None:
    if await session.get(ReconciliationDay, (line.estate_id, line.booked_on)) is not None:
        raise IllegalTransition(
            Text(f"{line.booked_on} 已结账，不能再修改", f"{line.booked_on} is closed and no longer changes"),
            state="closed",
            action=action,
        )


async def manual_match(
    session: AsyncSession,
    line: StatementLine,
    *,
    unit_id: uuid.UUID,
    invoice_ids: list[uuid.UUID],
    actor: str,
) -> StatementLine:
    await _require_open_day(session, line, "match")
    if line.state != "unmatched":
        raise IllegalTransition(
            Text("该流水已匹配", "This line is matched already"), state=line.state, action="match"
        )
    unit = await session.get(Unit, unit_id)
    if unit is None or unit.estate_id != line.estate_id:
        raise InvalidInput(Text("房屋不属于该小区", "The unit is not in this estate"))
    tolerance = (await collection.policy_of(session, line.estate_id)).reconciliation_tolerance_fen
    payment, allocations = await payments.pay(
        session,
        unit_id,
        amount_fen=line.amount_fen,
        channel="bank_transfer",
        invoice_ids=invoice_ids,
        reference=line.bank_reference,
        actor=actor,
        tolerance_fen=tolerance,
    )
    line.state, line.rule, line.score, line.unit_id, line.payment_id, line.matched_by = (
        "matched",
        "manual",
        Decimal("1"),
        unit_id,
        payment.id,
        actor,
    )
    line.explanation = {
        "rule": "manual",
        "score": 1.0,
        "matched": unit.number,
        "unit_id": str(unit_id),
        "payments": [
            {
                "payment_id": str(payment.id),
                "receipt_number": payment.receipt_number,
                "unit_id": str(unit_id),
                "amount_fen": line.amount_fen,
                **{
                    key: [
                        {"invoice_id": str(a.invoice_id), "amount_fen": a.amount_fen}
                        for a in allocations
                        if a.kind == kind
                    ]
                    for key, kind in (("allocated", "payment"), ("written_off", "write_off"))
                },
                "credit_fen": payment.credit_fen,
            }
        ],
    }
    await session.flush()
    return line


async def unmatch(session: AsyncSession, line: StatementLine, *, actor: str) -> StatementLine:
    """Undo a match: every payment it made (several, for a split line) is reversed."""
    await _require_open_day(session, line, "unmatch")
    if line.state != "matched":
        raise IllegalTransition(
            Text("该流水未匹配", "This line is not matched"), state=line.state, action="unmatch"
        )
    made = [uuid.UUID(p["payment_id"]) for p in (line.explanation or {}).get("payments", [])] or [
        line.payment_id
    ]
    for payment_id in made:
        payment = await session.get(Payment, payment_id, with_for_update=True)
        await payments.reverse(
            session, payment, reason=f"对账撤销 unmatched {line.bank_reference}", actor=actor
        )
    line.state, line.rule, line.score, line.unit_id, line.payment_id = "unmatched", None, None, None, None
    line.explanation = {
        "undone_by": actor,
        "undone_at": utcnow().isoformat(),
        "reversed": [str(p) for p in made],
    }
    await session.flush()
    return line


async def close_day(
    session: AsyncSession, estate_id: uuid.UUID, day: dt.date, *, actor: str
) -> ReconciliationDay:
    if await session.get(ReconciliationDay, (estate_id, day)) is not None:
        raise IllegalTransition(
            Text(f"{day} 已结账", f"{day} is closed already"), state="closed", action="close"
        )
    waiting = (
        await session.execute(
            select(func.count())
            .select_from(StatementLine)
            .where(
                StatementLine.estate_id == estate_id,
                StatementLine.booked_on == day,
                StatementLine.state == "unmatched",
            )
        )
    ).scalar_one()
    if waiting:
        raise IllegalTransition(
            Text(f"{day} 尚有 {waiting} 笔未匹配", f"{day} still has {waiting} unmatched lines"),
            state="open",
            action="close",
            unmatched=waiting,
        )
    row = ReconciliationDay(estate_id=estate_id, day=day, closed_at=utcnow(), closed_by=actor)
    session.add(row)
    await session.flush()
    return row


RULES = ("reference", "tokens", "payer", "amount", "manual")


async def daily_report(session: AsyncSession, estate_id: uuid.UUID) -> list[dict]:
    """Per day: lines, amount, matched by rule, unmatched, closed or not."""
    rows = await session.execute(
        select(
            StatementLine.booked_on,
            StatementLine.state,
            StatementLine.rule,
            func.count(),
            func.sum(StatementLine.amount_fen),
        )
        .where(StatementLine.estate_id == estate_id)
        .group_by(StatementLine.booked_on, StatementLine.state, StatementLine.rule)
        .order_by(StatementLine.booked_on)
    )
    closed = set(
        (
            await session.execute(
                select(ReconciliationDay.day).where(ReconciliationDay.estate_id == estate_id)
            )
        ).scalars()
    )
    days: dict = {}
    for day, state, rule, n, amount in rows.all():
        d = days.setdefault(
            day,
            {
                "day": day.isoformat(),
                "lines": 0,
                "amount_fen": 0,
                "matched": {},
                "unmatched": 0,
                "closed": day in closed,
            },
        )
        d["lines"] += n
        d["amount_fen"] += int(amount)
        if state == "matched":
            d["matched"][rule] = d["matched"].get(rule, 0) + n
        else:
            d["unmatched"] += n
    return list(days.values())


def flat(day: dict) -> dict:
    """A report day as one row of fixed columns (for CSV and XLSX)."""
    return {
        **{k: v for k, v in day.items() if k != "matched"},
        "matched": sum(day["matched"].values()),
        **{f"matched_{rule}": day["matched"].get(rule, 0) for rule in RULES},
    }


async def lines(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    state: str | None,
    day: dt.date | None,
    params: PageParams,
) -> tuple[list[StatementLine], str | None]:
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
    return page_of(list(rows), params, cursor_of=lambda x: [x.booked_on.isoformat(), str(x.id)])


async def line_of(session: AsyncSession, line_id: uuid.UUID, principal) -> StatementLine:
    line = await session.get(StatementLine, line_id, with_for_update=True)
    if line is None:
        raise LineNotFound(f"statement line {line_id} not found")
    principal.require_estate(line.estate_id)
    return line


async def candidates_of(session: AsyncSession, line: StatementLine) -> list[dict]:
    """What each rule suggests for the line, best first."""
    book = await matching.Book.load(session, line.estate_id, lock=False)
    return [
        {**c, "unit_id": str(c["unit_id"]), "invoice_ids": [str(i) for i in c["invoice_ids"]]}
        for c in matching.candidates(book, line)
    ]


async def saved_mapping(session: AsyncSession, estate_id: uuid.UUID, name: str) -> dict | None:
    row = await session.get(StatementMapping, (estate_id, name))
    return row.columns if row else None


async def mappings(session: AsyncSession, estate_id: uuid.UUID) -> list[dict]:
    await projections.require_known_estate(session, estate, estate_id, "billing")
    saved = (
        await session.execute(
            select(StatementMapping)
            .where(StatementMapping.estate_id == estate_id)
            .order_by(StatementMapping.name)
        )
    ).scalars()
    return [{"name": m.name, "columns": m.columns, "updated_by": m.updated_by} for m in saved] + [
        {"name": name, "columns": columns, "preset": True} for name, columns in statements.PRESETS.items()
    ]


async def save_mapping(session: AsyncSession, estate_id: uuid.UUID, name: str, data, actor: str) -> dict:
    await projections.require_known_estate(session, estate, estate_id, "billing")
    if name in statements.PRESETS:
        raise InvalidInput(
            Text(f"{name} 是预设名，请换一个名字", f"{name} is a preset's name: choose another")
        )
    columns = data.model_dump(exclude_none=True)
    values = {"columns": columns, "updated_by": actor, "updated_at": utcnow()}
    stmt = pg_insert(StatementMapping).values(estate_id=estate_id, name=name, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["estate_id", "name"], set_=values))
    return {"name": name, "columns": columns, "updated_by": actor}
