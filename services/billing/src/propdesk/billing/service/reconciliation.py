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
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import (
    Invoice,
    Payment,
    ReconciliationDay,
    Statement,
    StatementLine,
    Unit,
)
from propdesk.billing.service import payments
from propdesk.common.errors import IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.money import to_fen
from propdesk.common.timeutil import utcnow

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


async def import_statement(
    session: AsyncSession, estate_id: uuid.UUID, fmt: str, parsed: list[dict], actor: str
) -> dict:
    credits = [line for line in parsed if line["amount_fen"] > 0]
    statement = Statement(estate_id=estate_id, format=fmt, imported_by=actor, lines=len(credits))
    session.add(statement)
    await session.flush()
    new: list[StatementLine] = []
    rows = [
        {
            "id": uuid.uuid4(),
            "statement_id": statement.id,
            "estate_id": estate_id,
            "state": "unmatched",
            "explanation": {},
            **c,
        }
        for c in credits
    ]
    per_statement = 32_767 // 10  # the bind-parameter limit, ten columns a row
    for i in range(0, len(rows), per_statement):
        inserted = await session.execute(
            pg_insert(StatementLine)
            .values(rows[i : i + per_statement])
            .on_conflict_do_nothing(index_elements=["estate_id", "bank_reference"])
            .returning(StatementLine)
        )
        new += list(inserted.scalars())
    matched, book = 0, await Book.load(session, estate_id)
    for line in sorted(new, key=lambda x: (x.booked_on, x.bank_reference)):
        if await auto_match(session, line, book, actor=actor):
            matched += 1
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
    """What matching looks at, loaded once per import (not per line): units by number, open invoices by
    number, payers by name, what each unit owes. Kept current as lines are matched."""

    units: dict[uuid.UUID, Unit]
    by_number: dict[str, uuid.UUID]
    by_squeezed: dict[str, uuid.UUID]
    invoices: dict[str, tuple[uuid.UUID, uuid.UUID]]
    payers: dict[str, list[uuid.UUID]]
    owing: dict[uuid.UUID, int]

    @classmethod
    async def load(cls, session: AsyncSession, estate_id: uuid.UUID) -> Book:
        units = {
            u.id: u
            for u in (await session.execute(select(Unit).where(Unit.estate_id == estate_id))).scalars()
        }
        invoices = {
            number: (invoice_id, unit_id)
            for number, invoice_id, unit_id in await session.execute(
                select(Invoice.number, Invoice.id, Invoice.unit_id).where(
                    Invoice.estate_id == estate_id, Invoice.state.in_(payments.OPEN)
                )
            )
        }
        payers: dict[str, list[uuid.UUID]] = {}
        for unit_id, name in await session.execute(
            text(
                "SELECT p.unit_id, r.name FROM billing.payer p JOIN billing.resident r ON r.id = p.resident_id "
                "WHERE r.estate_id = :e AND p.ended_on IS NULL"
            ),
            {"e": estate_id},
        ):
            payers.setdefault(name, []).append(unit_id)
        owing = {
            u: int(v)
            for u, v in await session.execute(
                select(Invoice.unit_id, func.sum(Invoice.total_fen - Invoice.paid_fen))
                .where(Invoice.estate_id == estate_id, Invoice.state.in_(payments.OPEN))
                .group_by(Invoice.unit_id)
            )
        }
        return cls(
            units,
            {u.number: u.id for u in units.values()},
            {k: u.id for u in units.values() if len(k := _norm(u.number)) >= 4},
            invoices,
            payers,
            owing,
        )


def candidates(book: Book, line: StatementLine) -> list[dict]:
    """Every rule's answer for a line, best first: what a person reviewing it would want to see."""
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
    squeezed = _norm(memo)
    seen = {f["unit_id"] for f in found}
    for key, unit_id in book.by_squeezed.items():
        if key in squeezed and unit_id not in seen:
            found.append(
                {
                    "rule": "tokens",
                    "score": 0.9,
                    "unit_id": unit_id,
                    "invoice_ids": [],
                    "matched": book.units[unit_id].number,
                }
            )
    name = (line.payer_name or "").strip()
    if name:
        for resident, units in book.payers.items():
            score = 1.0 if resident == name else 0.8 if _one_off(resident, name) else 0
            for unit_id in units if score else []:
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
    exact = [u for u, v in book.owing.items() if v == line.amount_fen]
    if len(exact) == 1:
        found.append(
            {
                "rule": "amount",
                "score": 0.6,
                "unit_id": exact[0],
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


async def auto_match(session: AsyncSession, line: StatementLine, book: Book, *, actor: str) -> bool:
    found = candidates(book, line)
    if not found:
        return False
    best = found[0]
    units = {f["unit_id"] for f in found if f["rule"] == best["rule"]}
    if len(units) > 1:  # the best rule points at two units: a person decides
        line.explanation = {"ambiguous": best["rule"], "units": sorted(str(u) for u in units)}
        return False
    await _settle(
        session,
        line,
        best["unit_id"],
        best["invoice_ids"],
        rule=best["rule"],
        score=best["score"],
        matched=best["matched"],
        actor=actor,
    )
    unit_id = best["unit_id"]
    book.owing[unit_id] = book.owing.get(unit_id, 0) - line.amount_fen
    if book.owing[unit_id] <= 0:
        book.owing.pop(unit_id)
    return True


async def _settle(
    session, line: StatementLine, unit_id, invoice_ids, *, rule: str, score: float, matched: str, actor: str
) -> None:
    payment, allocations = await payments.pay(
        session,
        unit_id,
        amount_fen=line.amount_fen,
        channel="bank_transfer",
        invoice_ids=invoice_ids,
        reference=line.bank_reference,
        actor=actor,
    )
    line.state, line.rule, line.score, line.unit_id, line.payment_id, line.matched_by = (
        "matched",
        rule,
        Decimal(str(score)),
        unit_id,
        payment.id,
        actor,
    )
    line.explanation = {
        "rule": rule,
        "score": score,
        "matched": matched,
        "allocated": [{"invoice_id": str(a.invoice_id), "amount_fen": a.amount_fen} for a in allocations],
        "credit_fen": payment.credit_fen,
    }
    await session.flush()


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
    await _settle(
        session, line, unit_id, invoice_ids, rule="manual", score=1.0, matched=unit.number, actor=actor
    )
    return line


async def unmatch(session: AsyncSession, line: StatementLine, *, actor: str) -> StatementLine:
    await _require_open_day(session, line, "unmatch")
    if line.state != "matched":
        raise IllegalTransition(
            Text("该流水未匹配", "This line is not matched"), state=line.state, action="unmatch"
        )
    payment = await session.get(Payment, line.payment_id, with_for_update=True)
    await payments.reverse(session, payment, reason=f"对账撤销 unmatched {line.bank_reference}", actor=actor)
    line.state, line.rule, line.score, line.unit_id, line.payment_id = "unmatched", None, None, None, None
    line.explanation = {"undone_by": actor, "undone_at": utcnow().isoformat()}
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
