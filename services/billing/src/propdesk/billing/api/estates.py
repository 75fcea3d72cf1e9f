from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.billing.schemas import LedgerAccountRead
from propdesk.billing.service import estates as service
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
    return await service.list_defaults(session, estate_id)
