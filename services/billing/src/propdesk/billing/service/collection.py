"""Chasing arrears (欠费催缴): late fees and dunning, once a day per estate (a durable timer; also callable
for a given day). Late fees are off by default; when on, each overdue invoice accrues its daily rate after
the grace period, at most once per day (idempotent), and never more in all than the principal. Dunning sends
each stage once per invoice at its days past due; a dispute or a payment plan pauses both. Billing never
cuts water, power or access."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import Field
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import BillingPolicy, Invoice, InvoiceLine
from propdesk.billing.service import accounts, credit, invoices, ledger, numbering, payers
from propdesk.common import outbox, timers
from propdesk.common.contracts import billing as ev
from propdesk.common.ids import uuid7
from propdesk.common.inputs import Input
from propdesk.common.timeutil import to_local, utcnow, zone


class Stage(Input):
    stage: Literal["friendly", "second", "formal_notice", "manager"]
    days: int = Field(ge=1, le=365)


class Policy(Input):
    late_fee_enabled: bool = False
    grace_days: int = Field(15, ge=0, le=365)
    daily_rate: Decimal = Field(
        Decimal("0.0005"), gt=0, le=Decimal("0.01"), description="of the outstanding amount, per day"
    )
    cap_ratio: Decimal = Field(
        Decimal("1"), gt=0, le=Decimal("1"), description="late fees never exceed this share of the principal"
    )
    reconciliation_tolerance_fen: int = Field(
        0,
        ge=0,
        le=10_000,
        description="a bank line short by at most this much of what it settles is matched and the "
        "shortfall written off (a bank fee, a rounding); 0, the default, writes nothing off",
    )
    dunning: list[Stage] = [
        Stage(stage="friendly", days=7),
        Stage(stage="second", days=30),
        Stage(stage="formal_notice", days=60),
        Stage(stage="manager", days=90),
    ]


async def policy_of(session: AsyncSession, estate_id: uuid.UUID) -> Policy:
    row = await session.get(BillingPolicy, estate_id)
    return Policy.model_validate(row.policy) if row else Policy()


async def save_policy(session: AsyncSession, estate_id: uuid.UUID, policy: Policy, actor: str) -> Policy:
    doc = policy.model_dump(mode="json")
    stmt = pg_insert(BillingPolicy).values(estate_id=estate_id, policy=doc, updated_by=actor)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["estate_id"], set_={"policy": doc, "updated_by": actor})
    )
    return policy


ACCRUE = text("""
    INSERT INTO billing.late_fee (invoice_id, day, unit_id, amount_fen)
    SELECT i.id, CAST(:day AS date), i.unit_id,
           least(round((i.total_fen - i.paid_fen - i.written_off_fen) * CAST(:rate AS numeric))::bigint,
                 floor(i.total_fen * CAST(:cap AS numeric))::bigint - coalesce((SELECT sum(f.amount_fen) FROM billing.late_fee f WHERE f.invoice_id = i.id), 0))
    FROM billing.invoice i
    WHERE i.estate_id = :estate AND i.state IN ('issued', 'partially_paid') AND i.dunning_paused IS NULL
      AND i.source_kind <> 'late_fee'  -- no late fee on a late fee
      AND i.due_on + CAST(:grace AS integer) < CAST(:day AS date)
    ON CONFLICT (invoice_id, day) DO NOTHING
    RETURNING invoice_id, unit_id, amount_fen
""")

DUN = text("""
    INSERT INTO billing.dunning_notice (invoice_id, stage, sent_on)
    SELECT i.id, s.stage, CAST(:day AS date)
    FROM billing.invoice i
    JOIN unnest(CAST(:stages AS text[]), CAST(:days AS int[])) AS s(stage, days) ON CAST(:day AS date) - i.due_on >= s.days
    WHERE i.estate_id = :estate AND i.state IN ('issued', 'partially_paid') AND i.dunning_paused IS NULL
      AND i.source_kind <> 'late_fee'  -- the principal's notice says what is owed
    ON CONFLICT (invoice_id, stage) DO NOTHING
    RETURNING invoice_id, stage
""")


async def run_day(session: AsyncSession, estate_id: uuid.UUID, day: dt.date) -> dict:
    policy = await policy_of(session, estate_id)
    accrued = 0
    if policy.late_fee_enabled:
        rows = (
            await session.execute(
                ACCRUE,
                {
                    "estate": estate_id,
                    "day": day,
                    "rate": policy.daily_rate,
                    "cap": policy.cap_ratio,
                    "grace": policy.grace_days,
                },
            )
        ).all()
        await session.execute(
            text("DELETE FROM billing.late_fee WHERE day = :day AND amount_fen <= 0"), {"day": day}
        )  # capped out
        accrued = await bill_late_fees(session, estate_id, day, [r for r in rows if r.amount_fen > 0])
    stages = sorted(policy.dunning, key=lambda s: s.days)
    sent = (
        await session.execute(
            DUN,
            {
                "estate": estate_id,
                "day": day,
                "stages": [s.stage for s in stages],
                "days": [s.days for s in stages],
            },
        )
    ).all()
    if sent:
        info = {
            r.id: r
            for r in (
                await session.execute(
                    text(
                        "SELECT id, unit_id, number, due_on, total_fen - paid_fen - written_off_fen AS outstanding FROM billing.invoice WHERE id = ANY(:ids)"
                    ),
                    {"ids": [r[0] for r in sent]},
                )
            ).all()
        }
        paying = await payers.of_units(session, list({r.unit_id for r in info.values()}))
        outbox.record_many(
            session,
            [
                (
                    ev.DunningStage(
                        payer_id=paying.get(info[invoice_id].unit_id),
                        invoice_id=invoice_id,
                        estate_id=estate_id,
                        unit_id=info[invoice_id].unit_id,
                        number=info[invoice_id].number,
                        stage=stage,
                        days_overdue=(day - info[invoice_id].due_on).days,
                        outstanding_fen=info[invoice_id].outstanding,
                    ),
                    invoice_id,
                )
                for invoice_id, stage in sent
            ],
            estate_id=estate_id,
        )
    return {"day": day.isoformat(), "late_fees_fen": accrued, "dunning_notices": len(sent)}


LATE_FEE_INVOICES = text("""
    SELECT id, unit_id, number FROM billing.invoice
    WHERE estate_id = :estate AND source_kind = 'late_fee' AND period = :month AND unit_id = ANY(:units)
      AND state IN ('issued', 'partially_paid')
    FOR UPDATE
""")


async def bill_late_fees(session: AsyncSession, estate_id: uuid.UUID, day: dt.date, rows) -> int:
    """The day's late fees as lines of each unit's open late-fee invoice of the month (made when the unit has
    none, numbered in the month's sequence, due at once), one journal entry per invoice (receivable against
    late-fee revenue); the unit's credit, if any, then settles it. Returns the fen accrued."""
    if not rows:
        return 0
    month = f"{day:%Y-%m}"
    units = sorted({r.unit_id for r in rows})
    found = {
        r.unit_id: r
        for r in (
            await session.execute(LATE_FEE_INVOICES, {"estate": estate_id, "month": month, "units": units})
        ).all()
    }
    missing = [u for u in units if u not in found]
    if missing:
        numbers = await numbering.take(session, estate_id, "INV", month.replace("-", ""), len(missing))
        now = utcnow()
        new = [
            Invoice(
                id=uuid7(),
                estate_id=estate_id,
                unit_id=unit_id,
                number=number,
                period=month,
                source_kind="late_fee",
                source_id=None,
                state="issued",
                total_fen=0,
                paid_fen=0,
                issued_at=now,
                due_on=day,
            )
            for unit_id, number in zip(missing, numbers, strict=True)
        ]
        session.add_all(new)
        await session.flush()
        for invoice in new:
            found[invoice.unit_id] = invoice
    principal = {
        r.id: r.number
        for r in (
            await session.execute(
                select(Invoice.id, Invoice.number).where(Invoice.id.in_([r.invoice_id for r in rows]))
            )
        ).all()
    }
    account = (await accounts.chart(session, estate_id)).revenue("late_fee")
    per_invoice: dict[uuid.UUID, int] = {}
    lines = []
    for r in rows:
        target = found[r.unit_id].id
        per_invoice[target] = per_invoice.get(target, 0) + r.amount_fen
        lines.append(
            InvoiceLine(
                invoice_id=target,
                description=f"滞纳金 late fee {principal[r.invoice_id]} {day.isoformat()}",
                quantity=Decimal(1),
                unit_price=Decimal(r.amount_fen),
                amount_fen=r.amount_fen,
                revenue_account=account,
            )
        )
    session.add_all(lines)
    await session.flush()
    await session.execute(
        text("""
        UPDATE billing.invoice i SET total_fen = i.total_fen + x.a,
               state = CASE WHEN i.paid_fen + i.written_off_fen > 0 THEN 'partially_paid' ELSE 'issued' END,
               updated_at = :now
        FROM unnest(CAST(:ids AS uuid[]), CAST(:amounts AS bigint[])) AS x(id, a) WHERE i.id = x.id
        """),
        {"ids": list(per_invoice), "amounts": list(per_invoice.values()), "now": utcnow()},
    )
    batch = ledger.Batch()
    by_id = {i.id: i for i in found.values()}
    for invoice_id, amount in per_invoice.items():
        invoice = by_id[invoice_id]
        batch.add(
            f"{invoice.number} 滞纳金 late fees {day}",
            "invoice",
            invoice_id,
            [(ledger.RECEIVABLE, amount, 0, invoice.unit_id), (account, 0, amount, invoice.unit_id)],
        )
    await batch.post(session, estate_id)
    if missing:
        for invoice in new:
            await session.refresh(invoice)
        paying = await payers.of_units(session, [i.unit_id for i in new])
        outbox.record_many(
            session,
            [(invoices.issued_event(i, paying.get(i.unit_id)), i.id) for i in new],
            estate_id=estate_id,
        )
    await credit.apply(session, estate_id, units)
    return sum(per_invoice.values())


async def arm(session: AsyncSession, estate_id: uuid.UUID, tz: str) -> None:
    """The estate's daily run at 01:00 local time."""
    tomorrow = to_local(utcnow(), tz).date() + dt.timedelta(days=1)
    at = dt.datetime.combine(tomorrow, dt.time(1), zone(tz)).astimezone(dt.UTC)
    timers.schedule(
        session,
        kind="billing.daily",
        key=f"daily:{estate_id}",
        due_at=at,
        payload={"estate_id": str(estate_id), "tz": tz},
    )


async def on_daily(session: AsyncSession, estate_id: uuid.UUID, tz: str) -> None:
    await run_day(session, estate_id, to_local(utcnow(), tz).date())
    await arm(session, estate_id, tz)
