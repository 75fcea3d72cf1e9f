"""Payments a WeChat Pay / Alipay gateway notifies (signed webhooks): each transaction makes one payment,
however many times and however concurrently it is notified."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.errors import WrongEstate
from propdesk.billing.repository import unit_or_404
from propdesk.billing.service.payments import pay, read
from propdesk.common import idempotency
from propdesk.common.i18n import Text


async def payment(
    session: AsyncSession,
    *,
    gateway: str,
    transaction_id: str,
    estate_id: uuid.UUID,
    unit_id: uuid.UUID,
    amount_fen: int,
    invoice_ids: list[uuid.UUID],
) -> dict:
    """A payment the WeChat Pay / Alipay gateway notified. Its transaction id is claimed first (a unique key):
    concurrent or repeated notifications of one transaction make one payment and all get its answer; the
    same transaction with other amounts or units is refused."""
    fingerprint = f"{estate_id}|{unit_id}|{amount_fen}|{','.join(sorted(map(str, invoice_ids)))}".encode()

    async def run() -> tuple[object, int]:
        unit = await unit_or_404(session, unit_id)
        if unit.estate_id != estate_id:
            raise WrongEstate(
                Text("房屋不属于该小区", "The unit is not in the estate the notification names")
            )
        payment, allocations = await pay(
            session,
            unit_id,
            amount_fen=amount_fen,
            channel=gateway,
            invoice_ids=invoice_ids,
            reference=f"{gateway}:{transaction_id}",
            actor=f"gateway:{gateway}",
        )
        return read(payment, allocations).model_dump(mode="json"), 200

    answer, _, _ = await idempotency.once(
        session,
        owner=f"gateway:{gateway}",
        key=transaction_id,
        route="payment",
        fingerprint=fingerprint,
        run=run,
    )
    return answer
