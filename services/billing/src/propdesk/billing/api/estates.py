from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Path

from propdesk.billing.api.deps import actor
from propdesk.billing.schemas import LedgerAccountRead, LedgerAccountSave
from propdesk.billing.service import accounts
from propdesk.common.auth import Principal, Role, require_roles
from propdesk.common.web import Session

router = APIRouter(prefix="/v1/estates", tags=["estates"])


@router.get(
    "/{estate_id}/ledger-accounts",
    response_model=list[LedgerAccountRead],
    summary="The estate's chart of accounts for the double-entry ledger.",
)
async def list_ledger_accounts(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(require_roles(Role.finance, Role.manager)),
):
    principal.require_estate(estate_id)
    return await accounts.listing(session, estate_id)


@router.put(
    "/{estate_id}/ledger-accounts/{code}",
    response_model=LedgerAccountRead,
    summary="Add or rename an account of the estate's chart; a purpose (revenue:parking, cash:wechat, …) makes it "
    "the account that takes that revenue or that channel's money from now on (entries posted stay where they are)",
)
async def save_ledger_account(
    estate_id: uuid.UUID,
    data: LedgerAccountSave,
    session: Session,
    code: str = Path(pattern=r"^[0-9]{4,10}$", examples=["600105"]),
    principal: Principal = Depends(require_roles(Role.finance, Role.manager)),
):
    principal.require_estate(estate_id)
    return await accounts.save(session, estate_id, code, data, actor(principal))
