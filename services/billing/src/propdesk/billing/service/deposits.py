"""Deposits billing holds for intake (renovation, 装修押金): requested by intake's event, held once paid
(`billing.deposit.held` back to intake), released on intake's request minus itemised deductions. A
liability sub-ledger: the deposit account per unit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import Deposit
from propdesk.billing.service import accounts, ledger, payers
from propdesk.common import outbox
from propdesk.common.contracts import billing as ev
from propdesk.common.errors import IllegalTransition
from propdesk.common.i18n import Text
from propdesk.common.timeutil import utcnow


async def requested(
    session: AsyncSession, *, estate_id, unit_id, source_id, reference: str, amount_fen: int
) -> None:
    stmt = pg_insert(Deposit).values(
        id=uuid.uuid4(),
        estate_id=estate_id,
        unit_id=unit_id,
        purpose="renovation",
        source_id=source_id,
        reference=reference,
        amount_fen=amount_fen,
        state="requested",
        deductions=[],
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["purpose", "source_id"]))


async def pay(session: AsyncSession, deposit: Deposit, *, channel: str) -> Deposit:
    if deposit.state != "requested":
        raise IllegalTransition(
            Text("该押金不在待缴状态", "This deposit is not waiting to be paid"),
            state=deposit.state,
            action="pay",
        )
    deposit.state, deposit.channel, deposit.held_at = "held", channel, utcnow()
    await ledger.post(
        session,
        deposit.estate_id,
        memo=f"押金 deposit {deposit.reference}",
        source_kind="deposit",
        source_id=deposit.id,
        lines=[
            ledger.Line(
                (await accounts.chart(session, deposit.estate_id)).cash(channel), debit_fen=deposit.amount_fen
            ),
            ledger.Line(ledger.DEPOSITS, credit_fen=deposit.amount_fen, unit_id=deposit.unit_id),
        ],
    )
    await session.flush()
    outbox.record(
        session,
        ev.DepositHeld(
            deposit_id=deposit.id,
            estate_id=deposit.estate_id,
            unit_id=deposit.unit_id,
            purpose=deposit.purpose,
            source_id=deposit.source_id,
            amount_fen=deposit.amount_fen,
        ),
        aggregate_id=deposit.id,
        estate_id=deposit.estate_id,
    )
    return deposit


async def release(
    session: AsyncSession, *, source_id: uuid.UUID, deductions: list[dict], refund_fen: int
) -> Deposit | None:
    deposit = (
        await session.execute(
            select(Deposit)
            .where(Deposit.purpose == "renovation", Deposit.source_id == source_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if deposit is None or deposit.state == "released":
        return None
    deducted = sum(d["amount_fen"] for d in deductions)
    deposit.deductions, deposit.released_at = deductions, utcnow()
    if deposit.state == "requested":  # never paid: nothing to refund or keep
        deposit.state, deposit.refund_fen = "released", 0
        await session.flush()
        return deposit
    deposit.state, deposit.refund_fen = "released", deposit.amount_fen - deducted
    chart = await accounts.chart(session, deposit.estate_id)
    await ledger.post(
        session,
        deposit.estate_id,
        memo=f"押金退还 deposit release {deposit.reference}",
        source_kind="deposit",
        source_id=deposit.id,
        lines=[
            ledger.Line(ledger.DEPOSITS, debit_fen=deposit.amount_fen, unit_id=deposit.unit_id),
            ledger.Line(
                await ledger.cash_account_of(session, "deposit", deposit.id), credit_fen=deposit.refund_fen
            ),
            ledger.Line(chart.revenue("fine"), credit_fen=deducted, unit_id=deposit.unit_id),
        ],
    )
    await session.flush()
    outbox.record(
        session,
        ev.DepositReleased(
            deposit_id=deposit.id,
            estate_id=deposit.estate_id,
            unit_id=deposit.unit_id,
            purpose=deposit.purpose,
            source_id=deposit.source_id,
            amount_fen=deposit.amount_fen,
            deductions_fen=deducted,
            refund_fen=deposit.refund_fen,
            payer_id=await payers.of_unit(session, deposit.unit_id),
        ),
        aggregate_id=deposit.id,
        estate_id=deposit.estate_id,
    )
    return deposit


async def of_estate(session: AsyncSession, estate_id: uuid.UUID) -> list[Deposit]:
    rows = await session.execute(
        select(Deposit).where(Deposit.estate_id == estate_id).order_by(Deposit.created_at)
    )
    return list(rows.scalars())
