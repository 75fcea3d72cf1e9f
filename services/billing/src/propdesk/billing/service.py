"""billing's part of estate onboarding: keep the projection, seed the defaults, say so."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.errors import EstateNotKnown
from propdesk.billing.models import LedgerAccount, estate
from propdesk.common import outbox
from propdesk.common.contracts.billing import EstateProvisioned
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.events import Envelope
from propdesk.common.logging import get_logger
from propdesk.common.projections import upsert_estate

log = get_logger("propdesk.billing")

DEFAULTS = [
    # code, 中文, English, kind
    ("1001", "库存现金", "Cash at desk", "asset"),
    ("1002", "银行存款", "Bank", "asset"),
    ("1122", "应收账款", "Receivables", "asset"),
    ("2203", "预收账款", "Customer credit", "liability"),
    ("2241", "装修押金", "Deposits held", "liability"),
    ("6001", "物业服务收入", "Property fee revenue", "revenue"),
    ("6051", "滞纳金收入", "Late-fee revenue", "revenue"),
    ("6602", "坏账核销", "Write-offs", "expense"),
]


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    if not await upsert_estate(session, estate, event, envelope):
        return  # a re-published registration refreshes the projection; defaults stay as configured
    session.add_all(
        LedgerAccount(
            estate_id=event.estate_id, **dict(zip(("code", "name_zh", "name_en", "kind"), row, strict=True))
        )
        for row in DEFAULTS
    )
    await session.flush()
    await outbox.record(
        session,
        EstateProvisioned(estate_id=event.estate_id, detail={"ledger_account_rows": len(DEFAULTS)}),
        aggregate_id=event.estate_id,
        estate_id=event.estate_id,
    )
    log.info("estate.provisioned", estate_id=str(event.estate_id), defaults=len(DEFAULTS))


async def list_defaults(session: AsyncSession, estate_id: uuid.UUID) -> list[LedgerAccount]:
    if (await session.execute(select(estate.c.id).where(estate.c.id == estate_id))).first() is None:
        raise EstateNotKnown(f"estate {estate_id} is not known to billing")
    rows = await session.execute(
        select(LedgerAccount).where(LedgerAccount.estate_id == estate_id).order_by(LedgerAccount.id)
    )
    return list(rows.scalars().all())


_ = dt
