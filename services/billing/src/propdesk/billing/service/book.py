"""The open invoices of some units, oldest first, as payments and credit are allocated against them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import Invoice

OPEN = ("issued", "partially_paid")


@dataclass
class OpenInvoice:
    id: uuid.UUID
    number: str
    owing: int  # total - paid - written off


class OpenBook:
    """The open invoices of some units, oldest first, locked for this transaction: what payments are
    allocated against, in memory, so that one payment or a hundred thousand cost the same few statements."""

    def __init__(self, rows) -> None:
        self.by_unit: dict[uuid.UUID, list[OpenInvoice]] = {}
        for invoice_id, unit_id, number, owing in rows:
            self.by_unit.setdefault(unit_id, []).append(OpenInvoice(invoice_id, number, int(owing)))

    @classmethod
    async def load(
        cls,
        session: AsyncSession,
        estate_id: uuid.UUID,
        unit_ids: list[uuid.UUID] | None = None,
        *,
        lock: bool = True,
        due_before: dt.date | None = None,
    ) -> OpenBook:
        stmt = select(
            Invoice.id,
            Invoice.unit_id,
            Invoice.number,
            Invoice.total_fen - Invoice.paid_fen - Invoice.written_off_fen,
        ).where(Invoice.estate_id == estate_id, Invoice.state.in_(OPEN))
        if unit_ids is not None:
            stmt = stmt.where(Invoice.unit_id.in_(unit_ids))
        if due_before is not None:
            stmt = stmt.where(Invoice.due_on < due_before)
        stmt = stmt.order_by(Invoice.issued_at, Invoice.number)
        if lock:
            stmt = stmt.with_for_update()
        return cls((await session.execute(stmt)).all())

    def owing(self, unit_id: uuid.UUID) -> int:
        return sum(i.owing for i in self.by_unit.get(unit_id, ()))
