"""Deposits (renovation): requested by intake, paid here, released by intake's request."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.billing import repository
from propdesk.billing.api.deps import FINANCE
from propdesk.billing.models import Deposit
from propdesk.billing.schemas import DepositPay, DepositRead
from propdesk.billing.service import deposits
from propdesk.common.auth import Principal
from propdesk.common.web import Session

router = APIRouter(tags=["billing"])


@router.get(
    "/v1/estates/{estate_id}/deposits",
    response_model=list[DepositRead],
    summary="Deposits requested, held and released",
)
async def list_deposits(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(FINANCE)):
    principal.require_estate(estate_id)
    return [DepositRead.model_validate(d) for d in await deposits.of_estate(session, estate_id)]


@router.post(
    "/v1/deposits/{deposit_id}/pay",
    response_model=DepositRead,
    summary="The deposit was paid: billing holds it and tells intake",
)
async def pay_deposit(
    deposit_id: uuid.UUID, data: DepositPay, session: Session, principal: Principal = Depends(FINANCE)
):
    deposit = await repository.managed(session, Deposit, deposit_id, principal, lock=True)
    return DepositRead.model_validate(await deposits.pay(session, deposit, channel=data.channel))
