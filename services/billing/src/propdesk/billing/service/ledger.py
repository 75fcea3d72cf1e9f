"""The double-entry journal. Every money movement is one entry whose lines balance; PostgreSQL enforces the
balance at commit (a deferred constraint trigger) and refuses any UPDATE or DELETE of a posted line, so the
code here cannot get it wrong quietly. Corrections are new entries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import JournalEntry, JournalLine, LedgerAccount
from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.ids import uuid7

RECEIVABLE, CREDIT, DEPOSITS = "1122", "2203", "2241"
CASH_ACCOUNT = {"cash": "1001", "bank_transfer": "1002", "card": "1002", "wechat": "1002", "alipay": "1002"}
REVENUE = {"property_fee": "6001", "repair": "6002", "fine": "6003", "late_fee": "6051"}


@dataclass(frozen=True)
class Line:
    account: str
    debit_fen: int = 0
    credit_fen: int = 0
    unit_id: uuid.UUID | None = None


class Unbalanced(InvalidInput):
    code = "unbalanced-entry"
    title = Text("借贷不平衡", "The entry does not balance")


async def post(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    memo: str,
    source_kind: str,
    source_id: uuid.UUID | None,
    lines: list[Line],
) -> uuid.UUID:
    lines = [line for line in lines if line.debit_fen or line.credit_fen]
    debit, credit = sum(line.debit_fen for line in lines), sum(line.credit_fen for line in lines)
    if not lines or debit != credit or any(line.debit_fen < 0 or line.credit_fen < 0 for line in lines):
        raise Unbalanced(f"debits {debit} fen, credits {credit} fen", debit_fen=debit, credit_fen=credit)
    entry_id = uuid7()
    await session.execute(
        insert(JournalEntry).values(
            id=entry_id, estate_id=estate_id, memo=memo[:200], source_kind=source_kind, source_id=source_id
        )
    )
    await session.execute(  # one statement: the database checks the balance per statement
        insert(JournalLine).values(
            [
                {
                    "id": uuid7(),
                    "entry_id": entry_id,
                    "estate_id": estate_id,
                    "account": line.account,
                    "unit_id": line.unit_id,
                    "debit_fen": line.debit_fen,
                    "credit_fen": line.credit_fen,
                }
                for line in lines
            ]
        )
    )
    return entry_id


async def trial_balance(session: AsyncSession, estate_id: uuid.UUID) -> dict:
    names = {
        a.code: a
        for a in (
            await session.execute(select(LedgerAccount).where(LedgerAccount.estate_id == estate_id))
        ).scalars()
    }
    rows = await session.execute(
        select(JournalLine.account, func.sum(JournalLine.debit_fen), func.sum(JournalLine.credit_fen))
        .where(JournalLine.estate_id == estate_id)
        .group_by(JournalLine.account)
        .order_by(JournalLine.account)
    )
    accounts = [
        {
            "account": code,
            "name_zh": names[code].name_zh if code in names else code,
            "name_en": names[code].name_en if code in names else code,
            "debit_fen": int(d),
            "credit_fen": int(c),
            "balance_fen": int(d) - int(c),
        }
        for code, d, c in rows.all()
    ]
    total_d, total_c = sum(a["debit_fen"] for a in accounts), sum(a["credit_fen"] for a in accounts)
    return {"accounts": accounts, "debit_fen": total_d, "credit_fen": total_c, "balanced": total_d == total_c}


async def unit_balance(session: AsyncSession, unit_id: uuid.UUID) -> int:
    """What a unit owes (receivable minus its credit), in fen."""
    rows = await session.execute(
        select(JournalLine.account, func.sum(JournalLine.debit_fen - JournalLine.credit_fen))
        .where(JournalLine.unit_id == unit_id, JournalLine.account.in_([RECEIVABLE, CREDIT]))
        .group_by(JournalLine.account)
    )
    return sum(int(v) for _, v in rows.all())
