"""billing's part of estate onboarding: keep the projection, seed the defaults, say so."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import LedgerAccount, estate
from propdesk.common import projections
from propdesk.common.contracts.billing import EstateProvisioned
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.events import Envelope

DEFAULTS = [
    # code, 中文, English, kind
    ("1001", "库存现金", "Cash at desk", "asset"),
    ("1002", "银行存款", "Bank", "asset"),
    ("1122", "应收账款", "Receivables", "asset"),
    ("2203", "预收账款", "Customer credit", "liability"),
    ("2241", "装修押金", "Deposits held", "liability"),
    ("6001", "物业服务收入", "Property fee revenue", "revenue"),
    ("6002", "维修服务收入", "Repair revenue", "revenue"),
    ("6003", "违章罚款收入", "Fines", "revenue"),
    ("6051", "滞纳金收入", "Late-fee revenue", "revenue"),
    ("6602", "坏账核销", "Write-offs", "expense"),
]


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    from propdesk.billing.service import collection

    await collection.arm(session, event.estate_id, event.timezone)
    await projections.provision_estate(
        session,
        estate,
        event,
        envelope,
        defaults=[
            LedgerAccount(
                estate_id=event.estate_id,
                **dict(zip(("code", "name_zh", "name_en", "kind"), row, strict=True)),
            )
            for row in DEFAULTS
        ],
        provisioned=EstateProvisioned(
            estate_id=event.estate_id, detail={"ledger_account_rows": len(DEFAULTS)}
        ),
    )


async def list_defaults(session: AsyncSession, estate_id: uuid.UUID) -> list[LedgerAccount]:
    await projections.require_known_estate(session, estate, estate_id, "billing")
    rows = await session.execute(
        select(LedgerAccount).where(LedgerAccount.estate_id == estate_id).order_by(LedgerAccount.id)
    )
    return list(rows.scalars().all())
