"""Bank reconciliation (对账): import a statement (CSV with a column mapping, MT940 with mt-940, CAMT.053
with pycamt), then match each incoming credit by rules in order, each match explained (rule, score, what
matched):

  1 reference   an invoice number or a unit number written in the memo
  2 tokens      the memo's tokens against unit numbers, spacing and punctuation ignored (A1 0101, a1-0101)
  3 payer       the payer's name against the residents paying for a unit (exact, or one character off),
                with the amount equal to what that unit owes
  4 amount      the only unit owing exactly this amount

A match becomes a bank-transfer payment (allocated as any payment is). What is left unmatched waits for
finance: manual match, undo (the payment is reversed), and a day is closed once nothing of it is unmatched;
a closed day does not change again."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import (
    Payment,
    ReconciliationDay,
    Statement,
    StatementLine,
    Unit,
)
from propdesk.billing.service import collection, payments
from propdesk.common.errors import IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.logging import get_logger
from propdesk.common.money import to_fen
from propdesk.common.timeutil import utcnow

log = get_logger(__name__)
INVOICE_RE = re.compile(r"INV-\d{6}-\d{6}")


def _norm(value: str) -> str:
    return re.sub(r"[\s\-_/.,，。]", "", value).upper()


# ---------------------------------------------------------------- parsing


def parse_csv(data: bytes, mapping: dict[str, str]) -> list[dict]:
    text_ = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text_)))
    missing = [k for k in ("date", "amount", "reference") if mapping.get(k) not in (rows[0] if rows else {})]
    if missing:
        raise InvalidInput(
            Text(f"列映射缺少：{', '.join(missing)}", f"the column mapping misses: {', '.join(missing)}")
        )
    out = []
    for n, row in enumerate(rows, start=2):
        try:
            amount = to_fen(Decimal(row[mapping["amount"]].replace(",", "")) * 100)
            booked = dt.date.fromisoformat(row[mapping["date"]].strip().replace("/", "-"))
        except (ArithmeticError, ValueError) as exc:
            raise InvalidInput(Text(f"第 {n} 行无法解析", f"line {n} does not parse: {exc}")) from exc
        out.append(
            {
                "booked_on": booked,
                "amount_fen": amount,
                "payer_name": row.get(mapping.get("name", ""), "") or "",
                "memo": row.get(mapping.get("memo", ""), "") or "",
                "bank_reference": row[mapping["reference"]].strip(),
            }
        )
    return out


def parse_mt940(data: bytes) -> list[dict]:
    import mt940

    text_ = data.decode("utf-8", errors="replace")
    if ":20:" not in text_ or ":25:" not in text_:
        raise InvalidInput(Text("不是 MT940 对账单", "not an MT940 statement (no :20: and :25: fields)"))
    out = []
    for tx in mt940.parse(io.StringIO(text_)):
        d = tx.data
        details = d.get("transaction_details") or ""
        out.append(
            {
                "booked_on": d["date"],
                "amount_fen": to_fen(Decimal(str(d["amount"].amount)) * 100),
                "payer_name": d.get("applicant_name") or "",
                "memo": (details or d.get("extra_details") or "").replace("\n", " "),
                "bank_reference": d.get("bank_reference")
                or d.get("customer_reference")
                or f"{d['date']}-{details[:20]}",
            }
        )
    return out


def parse_camt053(data: bytes) -> list[dict]:
    from pycamt.parser import Camt053Parser

    out = []
    for tx in Camt053Parser(data).get_transactions():
        amount = to_fen(Decimal(str(tx.get("Amount"))) * 100)
        if tx.get("CreditDebitIndicator") == "DBIT":
            amount = -amount
        out.append(
            {
                "booked_on": dt.date.fromisoformat(str(tx.get("BookingDate"))[:10]),
                "amount_fen": amount,
                "payer_name": tx.get("DebtorName") or "",
                "memo": tx.get("RemittanceInformation") or "",
                "bank_reference": tx.get("TransactionID") or tx.get("EndToEndId") or "",
            }
        )
    return out


# ---------------------------------------------------------------- import and matching


def parse(fmt: str, data: bytes, mapping: dict[str, str] | None) -> list[dict]:
    return {
        "csv": lambda: parse_csv(data, mapping or {}),
        "mt940": lambda: parse_mt940(data),
        "camt053": lambda: parse_camt053(data),
    }[fmt]()


class _Phases:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._at = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[f"{name}_ms"] = round((now - self._at) * 1000, 1)
        self._at = now


@dataclass
class Credit:
    """An incoming line while it is being matched (an imported StatementLine has the same fields)."""

    booked_on: dt.date
    amount_fen: int
    payer_name: str
    memo: str
    bank_reference: str


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
    new: list[Credit] = []
    for c in credits:
        if c["bank_reference"] not in seen:
            seen.add(c["bank_reference"])
            new.append(Credit(**c))
    new.sort(key=lambda x: (x.booked_on, x.bank_reference))
    clock = _Phases()
    tolerance = (await collection.policy_of(session, estate_id)).reconciliation_tolerance_fen
    book = await Book.load(session, estate_id)
    clock.lap("load")
    plan = payments.Plan(estate_id, "bank_transfer", actor)
    outcomes = [auto_match(book, plan, line, tolerance) for line in new]
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


@dataclass
class Book:
    """What matching looks at, loaded once per import (not per line) and indexed so that each line costs a
    few dictionary lookups: units by number (and squeezed number), open invoices by number, payers by name
    (and by each name with one character deleted, for names one character off), units by what they owe.
    Kept current as lines are matched."""

    number_of: dict[uuid.UUID, str]
    by_number: dict[str, uuid.UUID]
    by_squeezed: dict[str, uuid.UUID]
    invoices: dict[str, tuple[uuid.UUID, uuid.UUID]]
    payers: dict[str, list[uuid.UUID]]
    open: payments.OpenBook
    owing: dict[uuid.UUID, int] = field(default_factory=dict)
    by_owing: dict[int, set[uuid.UUID]] = field(default_factory=dict)
    near_names: dict[str, set[str]] = field(default_factory=dict)
    lengths: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        for unit_id in self.open.by_unit:
            self.set_owing(unit_id, self.open.owing(unit_id))
        for name in self.payers:
            for key in {name, *_deletions(name)}:
                self.near_names.setdefault(key, set()).add(name)
        self.lengths = sorted({len(k) for k in self.by_squeezed}, reverse=True)

    def set_owing(self, unit_id: uuid.UUID, amount: int) -> None:
        old = self.owing.pop(unit_id, None)
        if old is not None:
            self.by_owing[old].discard(unit_id)
        if amount > 0:
            self.owing[unit_id] = amount
            self.by_owing.setdefault(amount, set()).add(unit_id)

    @classmethod
    async def load(cls, session: AsyncSession, estate_id: uuid.UUID, *, lock: bool = True) -> Book:
        units = (await session.execute(select(Unit.id, Unit.number).where(Unit.estate_id == estate_id))).all()
        payers: dict[str, list[uuid.UUID]] = {}
        for unit_id, name in await session.execute(
            text(
                "SELECT p.unit_id, r.name FROM billing.payer p JOIN billing.resident r ON r.id = p.resident_id "
                "WHERE r.estate_id = :e AND p.ended_on IS NULL"
            ),
            {"e": estate_id},
        ):
            payers.setdefault(name, []).append(unit_id)
        open_ = await payments.OpenBook.load(session, estate_id, lock=lock)
        return cls(
            number_of=dict(units),
            by_number={number: unit_id for unit_id, number in units},
            by_squeezed={k: unit_id for unit_id, number in units if len(k := _norm(number)) >= 4},
            invoices={i.number: (i.id, u) for u, invoices in open_.by_unit.items() for i in invoices},
            payers=payers,
            open=open_,
        )


def _deletions(name: str) -> list[str]:
    return [name[:i] + name[i + 1 :] for i in range(len(name))] if len(name) >= 2 else []


def candidates(book: Book, line, *, first: bool = False) -> list[dict]:
    """Every rule's answer for a line, best first: what a person reviewing it would want to see. With
    `first`, only the first rule that answers (all that automatic matching needs)."""
    memo, found = line.memo or "", []
    for number in INVOICE_RE.findall(memo.upper()):
        if number in book.invoices:
            invoice_id, unit_id = book.invoices[number]
            found.append(
                {
                    "rule": "reference",
                    "score": 1.0,
                    "unit_id": unit_id,
                    "invoice_ids": [invoice_id],
                    "matched": number,
                }
            )
    for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9\-]*", memo):
        if word in book.by_number:
            found.append(
                {
                    "rule": "reference",
                    "score": 1.0,
                    "unit_id": book.by_number[word],
                    "invoice_ids": [],
                    "matched": word,
                }
            )
    if first and found:
        return found
    squeezed, seen = _norm(memo), {f["unit_id"] for f in found}
    for size in book.lengths:  # every substring of the squeezed memo that is some unit's squeezed number
        for at in range(len(squeezed) - size + 1):
            unit_id = book.by_squeezed.get(squeezed[at : at + size])
            if unit_id is not None and unit_id not in seen:
                seen.add(unit_id)
                found.append(
                    {
                        "rule": "tokens",
                        "score": 0.9,
                        "unit_id": unit_id,
                        "invoice_ids": [],
                        "matched": book.number_of[unit_id],
                    }
                )
    if first and found:
        return found
    name = (line.payer_name or "").strip()
    if name:
        near = set().union(*(book.near_names.get(k, ()) for k in {name, *_deletions(name)}))
        for resident in sorted(near, key=lambda r: r != name):
            score = 1.0 if resident == name else 0.8 if _one_off(resident, name) else 0
            for unit_id in book.payers[resident] if score else []:
                if book.owing.get(unit_id) == line.amount_fen:
                    found.append(
                        {
                            "rule": "payer",
                            "score": score,
                            "unit_id": unit_id,
                            "invoice_ids": [],
                            "matched": resident,
                        }
                    )
    if first and found:
        return found
    exact = book.by_owing.get(line.amount_fen, set())
    if len(exact) == 1:
        found.append(
            {
                "rule": "amount",
                "score": 0.6,
                "unit_id": next(iter(exact)),
                "invoice_ids": [],
                "matched": f"{line.amount_fen} fen owed",
            }
        )
    return found


def _one_off(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 2:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def auto_match(book: Book, plan: payments.Plan, line, tolerance_fen: int = 0) -> dict:
    """Decide one line and plan its payment(s); returns the line's explanation. The best rule's answer is
    taken when it names one unit. When it names several (a memo with two flats of one owner), the line is
    split over them if its amount settles exactly what they owe together (within the tolerance); otherwise a
    person decides."""
    found = candidates(book, line, first=True)
    if not found:
        return {}
    best = found[0]
    same = [f for f in found if f["rule"] == best["rule"]]
    units = list(dict.fromkeys(f["unit_id"] for f in same))
    invoice_ids = [i for f in same for i in f["invoice_ids"]]
    if len(units) == 1:
        return _settle(book, plan, line, [(units[0], line.amount_fen)], invoice_ids, best, tolerance_fen)
    owed = [book.owing.get(u, 0) for u in units]
    if all(owed) and 0 <= sum(owed) - line.amount_fen <= tolerance_fen:
        parts, left = [], line.amount_fen
        for n, (unit_id, amount) in enumerate(zip(units, owed, strict=True)):
            take = left if n == len(units) - 1 else min(amount, left)
            parts.append((unit_id, take))
            left -= take
        return {
            **_settle(book, plan, line, parts, invoice_ids, best, tolerance_fen),
            "split": True,
        }
    return {"ambiguous": best["rule"], "units": sorted(str(u) for u in units)}


def _settle(book, plan, line, parts, invoice_ids, best, tolerance_fen) -> dict:
    done = []
    for unit_id, amount in parts:
        own = {i.id for i in book.open.by_unit.get(unit_id, ())} if invoice_ids else set()
        mine = [i for i in invoice_ids if i in own]
        planned = plan.pay(
            book.open,
            unit_id,
            amount,
            invoice_ids=mine,
            reference=line.bank_reference,
            tolerance_fen=tolerance_fen,
        )
        book.set_owing(unit_id, book.open.owing(unit_id))
        done.append(
            {
                "payment_id": str(planned.id),
                "unit_id": str(unit_id),
                "amount_fen": amount,
                "allocated": [{"invoice_id": str(i), "amount_fen": a} for i, a in planned.allocations],
                "written_off": [{"invoice_id": str(i), "amount_fen": a} for i, a in planned.write_offs],
                "credit_fen": planned.credit_fen,
            }
        )
    return {
        "rule": best["rule"],
        "score": best["score"],
        "matched": best["matched"],
        "unit_id": done[0]["unit_id"],
        "payments": done,
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
