"""The double-entry journal. Every money movement is one entry whose lines balance; PostgreSQL enforces the
balance at commit (a deferred constraint trigger) and refuses any UPDATE or DELETE of a posted line, so the
code here cannot get it wrong quietly. Corrections are new entries."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.errors import Unbalanced
from propdesk.billing.models import JournalLine, LedgerAccount, estate
from propdesk.common.ids import uuid7
from propdesk.common.projections import EstateNotKnown
from propdesk.common.timeutil import utcnow, zone

# fixed accounts; revenue and cash accounts are the estate's own (`service.accounts`)
RECEIVABLE, CREDIT, DEPOSITS, WRITE_OFF = "1122", "2203", "2241", "6602"


@dataclass(frozen=True)
class Line:
    account: str
    debit_fen: int = 0
    credit_fen: int = 0
    unit_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Entry:
    memo: str
    source_kind: str
    source_id: uuid.UUID | None
    lines: list[Line]


def _checked(lines: list[Line]) -> list[Line]:
    lines = [line for line in lines if line.debit_fen or line.credit_fen]
    debit, credit = sum(line.debit_fen for line in lines), sum(line.credit_fen for line in lines)
    if not lines or debit != credit or any(line.debit_fen < 0 or line.credit_fen < 0 for line in lines):
        raise Unbalanced(f"debits {debit} fen, credits {credit} fen", debit_fen=debit, credit_fen=credit)
    return lines


async def post(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    memo: str,
    source_kind: str,
    source_id: uuid.UUID | None,
    lines: list[Line],
) -> uuid.UUID:
    return (await post_many(session, estate_id, [Entry(memo, source_kind, source_id, lines)]))[0]


async def post_many(
    session: AsyncSession, estate_id: uuid.UUID, entries: list[Entry], *, posted_at: dt.datetime | None = None
) -> list[uuid.UUID]:
    """Post entries with two statements whatever their number: the database checks each entry's balance
    over the statement's lines (and `_checked` here first, for a clear error)."""
    batch = Batch()
    ids = [batch.add(e.memo, e.source_kind, e.source_id, _checked(e.lines)) for e in entries]
    await batch.post(session, estate_id, posted_at=posted_at)
    return ids


@dataclass
class Batch:
    """Entries gathered as plain columns (no objects per line) for a bulk post."""

    ids: list = field(default_factory=list)
    memos: list = field(default_factory=list)
    kinds: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    lines: dict[str, list] = field(default_factory=lambda: {k: [] for k in "eaudc"})

    def add(
        self,
        memo: str,
        source_kind: str,
        source_id: uuid.UUID | None,
        lines: list[Line] | list[tuple[str, int, int, uuid.UUID | None]],
    ) -> uuid.UUID:
        """Lines as Line objects or (account, debit, credit, unit) tuples; zero lines are left out."""
        entry_id = uuid7()
        self.ids.append(entry_id)
        self.memos.append(memo[:200])
        self.kinds.append(source_kind)
        self.sources.append(source_id)
        e, a, u, d, c = (self.lines[k] for k in "eaudc")
        for line in lines:
            account, debit, credit, unit_id = (
                (line.account, line.debit_fen, line.credit_fen, line.unit_id)
                if isinstance(line, Line)
                else line
            )
            if debit or credit:
                e.append(entry_id)
                a.append(account)
                u.append(unit_id)
                d.append(debit)
                c.append(credit)
        return entry_id

    async def post(
        self, session: AsyncSession, estate_id: uuid.UUID, *, posted_at: dt.datetime | None = None
    ):
        if not self.ids:
            return
        await session.execute(
            text("""
            INSERT INTO billing.journal_entry (id, estate_id, posted_at, memo, source_kind, source_id)
            SELECT id, :estate, :at, memo, kind, source
            FROM unnest(CAST(:id AS uuid[]), CAST(:memo AS text[]), CAST(:kind AS text[]), CAST(:source AS uuid[]))
                 AS x(id, memo, kind, source)
            """),
            {
                "estate": estate_id,
                "at": posted_at or utcnow(),
                "id": self.ids,
                "memo": self.memos,
                "kind": self.kinds,
                "source": self.sources,
            },
        )
        await session.execute(  # one statement: the database checks every entry's balance over it
            text("""
            INSERT INTO billing.journal_line (id, entry_id, estate_id, account, unit_id, debit_fen, credit_fen)
            SELECT gen_random_uuid(), e, :estate, a, u, d, c
            FROM unnest(CAST(:e AS uuid[]), CAST(:a AS text[]), CAST(:u AS uuid[]), CAST(:d AS bigint[]),
                        CAST(:c AS bigint[])) AS x(e, a, u, d, c)
            """),
            {"estate": estate_id, **self.lines},
        )


async def cash_account_of(session: AsyncSession, source_kind: str, source_id: uuid.UUID) -> str:
    """The account an earlier entry took money into (a payment's, a deposit's): what undoing it pays out of,
    whatever the chart says today."""
    return (
        await session.execute(
            text("""
            SELECT l.account FROM billing.journal_line l JOIN billing.journal_entry e ON e.id = l.entry_id
            WHERE e.source_kind = :kind AND e.source_id = :source AND l.debit_fen > 0
              AND l.account NOT IN ('1122', '2203', '2241', '6602')
            ORDER BY e.posted_at LIMIT 1
            """),
            {"kind": source_kind, "source": source_id},
        )
    ).scalar_one()


def month_bounds(period: str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """A period "YYYY-MM" as [start, end) instants, in the estate's own time zone."""
    year, month = int(period[:4]), int(period[5:7])
    first = dt.datetime(year, month, 1, tzinfo=zone(tz))
    after = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone(tz))
    return first.astimezone(dt.UTC), after.astimezone(dt.UTC)


TRIAL = text("""
    SELECT l.account,
           sum(CASE WHEN e.posted_at < :start THEN l.debit_fen - l.credit_fen ELSE 0 END) AS opening,
           sum(CASE WHEN e.posted_at >= :start THEN l.debit_fen ELSE 0 END) AS debit,
           sum(CASE WHEN e.posted_at >= :start THEN l.credit_fen ELSE 0 END) AS credit
    FROM billing.journal_line l JOIN billing.journal_entry e ON e.id = l.entry_id
    WHERE l.estate_id = :estate AND e.posted_at < :end
    GROUP BY l.account ORDER BY l.account
""")


async def trial_balance(session: AsyncSession, estate_id: uuid.UUID, period: str | None = None) -> dict:
    """Per account: the opening balance, the period's debits and credits, the closing balance. Without a
    period, everything ever posted (opening zero). Debits equal credits in any period, because every entry
    balances."""
    names = {
        a.code: a
        for a in (
            await session.execute(select(LedgerAccount).where(LedgerAccount.estate_id == estate_id))
        ).scalars()
    }
    if period is None:
        start, end = dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC)
    else:
        tz = (
            await session.execute(select(estate.c.timezone).where(estate.c.id == estate_id))
        ).scalar_one_or_none()
        if tz is None:
            raise EstateNotKnown(f"estate {estate_id} is not known to billing")
        start, end = month_bounds(period, tz)
    rows = await session.execute(TRIAL, {"estate": estate_id, "start": start, "end": end})
    accounts = [
        {
            "account": code,
            "name_zh": names[code].name_zh if code in names else code,
            "name_en": names[code].name_en if code in names else code,
            "opening_fen": int(opening),
            "debit_fen": int(d),
            "credit_fen": int(c),
            "balance_fen": int(opening) + int(d) - int(c),
        }
        for code, opening, d, c in rows.all()
    ]
    total_d, total_c = sum(a["debit_fen"] for a in accounts), sum(a["credit_fen"] for a in accounts)
    return {
        "period": period,
        "accounts": accounts,
        "debit_fen": total_d,
        "credit_fen": total_c,
        "balanced": total_d == total_c and sum(a["balance_fen"] for a in accounts) == 0,
    }


async def unit_balance(session: AsyncSession, unit_id: uuid.UUID) -> int:
    """What a unit owes (receivable minus its credit), in fen."""
    rows = await session.execute(
        select(JournalLine.account, func.sum(JournalLine.debit_fen - JournalLine.credit_fen))
        .where(JournalLine.unit_id == unit_id, JournalLine.account.in_([RECEIVABLE, CREDIT]))
        .group_by(JournalLine.account)
    )
    return sum(int(v) for _, v in rows.all())
