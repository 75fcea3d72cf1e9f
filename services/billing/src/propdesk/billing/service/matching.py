"""Matching bank credits to what units owe, by rules in order, each match explained (rule, score, what
matched):

  1 reference   an invoice number or a unit number written in the memo
  2 tokens      the memo's tokens against unit numbers, spacing and punctuation ignored (A1 0101, a1-0101)
  3 payer       the payer's name against the residents paying for a unit (exact, or one character off),
                with the amount equal to what that unit owes
  4 amount      the only unit owing exactly this amount

Pure decisions over a `Book` loaded once per import; `reconciliation` writes what they plan."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import Unit
from propdesk.billing.service import payments
from propdesk.billing.service.book import OpenBook

INVOICE_RE = re.compile(r"INV-\d{6}-\d{6}")


def _norm(value: str) -> str:
    return re.sub(r"[\s\-_/.,，。]", "", value).upper()


@dataclass
class Credit:
    """An incoming line while it is being matched (an imported StatementLine has the same fields)."""

    booked_on: dt.date
    amount_fen: int
    payer_name: str
    memo: str
    bank_reference: str


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
    open: OpenBook
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
        open_ = await OpenBook.load(session, estate_id, lock=lock)
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
