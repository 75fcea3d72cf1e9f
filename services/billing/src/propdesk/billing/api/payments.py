"""Payments at the counter and through the gateway, a unit's account, refunds and reversals."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response

from propdesk.billing import repository
from propdesk.billing.api.deps import FINANCE, PAYERS, READERS, actor
from propdesk.billing.models import Payment, Unit
from propdesk.billing.schemas import (
    GatewayPayment,
    PayerSet,
    PaymentCreate,
    PaymentRead,
    RefundCreate,
    VoidCreate,
)
from propdesk.billing.service import gateway, ledger, payers, payments, receipts
from propdesk.common import signatures
from propdesk.common.auth import Principal
from propdesk.common.db import settings_of
from propdesk.common.web import SIGNED, Session, idempotent

router = APIRouter(tags=["billing"])


@router.post(
    "/v1/units/{unit_id}/payments",
    status_code=201,
    response_model=PaymentRead,
    summary="Record a payment (Idempotency-Key recommended): allocated oldest first or to the invoices named; "
    "anything left over becomes the unit's credit; a receipt number",
)
async def pay(
    request: Request,
    unit_id: uuid.UUID,
    data: PaymentCreate,
    session: Session,
    principal: Principal = Depends(FINANCE),
):
    await repository.managed(session, Unit, unit_id, principal)

    async def create():
        payment, allocations = await payments.pay(
            session,
            unit_id,
            amount_fen=data.amount_fen,
            channel=data.channel,
            invoice_ids=data.invoice_ids,
            reference=data.reference,
            actor=actor(principal),
        )
        return payments.read(payment, allocations)

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/units/{unit_id}/account", summary="A unit's account: what it owes, its open invoices, its payments"
)
async def account(unit_id: uuid.UUID, session: Session, principal: Principal = Depends(READERS)) -> dict:
    return await payments.account(session, await repository.visible(session, Unit, unit_id, principal))


@router.post(
    "/v1/units/{unit_id}/refunds",
    summary="Refund a unit's credit (what it paid in excess): the credit first settles the unit's overdue "
    "invoices unless `overdue_override_reason` says why not; more than the credit left is refused (409)",
)
async def refund(
    unit_id: uuid.UUID, data: RefundCreate, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    unit = await repository.managed(session, Unit, unit_id, principal, lock=True)
    entry = await payments.refund(
        session,
        unit,
        amount_fen=data.amount_fen,
        channel=data.channel,
        reason=data.reason,
        overdue_override_reason=data.overdue_override_reason,
    )
    return {
        "unit_id": str(unit_id),
        "refunded_fen": data.amount_fen,
        "entry_id": str(entry),
        "balance_fen": await ledger.unit_balance(session, unit_id),
    }


@router.post(
    "/v1/webhooks/payments",
    response_model=PaymentRead,
    openapi_extra=SIGNED,
    summary="A WeChat Pay / Alipay payment through the gateway adapter, signed per Standard Webhooks "
    "(webhook-id, webhook-timestamp, webhook-signature; 5 minutes' tolerance). The gateway's transaction id is "
    "claimed once: copies of a notification, concurrent or later, make one payment and get the same answer",
)
async def gateway_payment(request: Request, data: GatewayPayment, session: Session):
    await signatures.verify(request, settings_of(session).payment_webhook_secret.get_secret_value())
    return await gateway.payment(
        session,
        gateway=data.gateway,
        transaction_id=data.transaction_id,
        estate_id=data.estate_id,
        unit_id=data.unit_id,
        amount_fen=data.amount_fen,
        invoice_ids=data.invoice_ids,
    )


@router.post(
    "/v1/payments/{payment_id}/reverse",
    response_model=PaymentRead,
    summary="Reverse a payment (new entries, never edits)",
)
async def reverse_payment(
    payment_id: uuid.UUID, data: VoidCreate, session: Session, principal: Principal = Depends(FINANCE)
):
    payment = await repository.managed(session, Payment, payment_id, principal, lock=True)
    await payments.reverse(session, payment, reason=data.reason, actor=actor(principal))
    return PaymentRead.model_validate(payment)


@router.get(
    "/v1/payments/{payment_id}/receipt",
    response_class=Response,
    summary="The payment's receipt (收据) as PDF: estate, payer, unit, what it settled, channel, the amount in "
    "Chinese capital numerals, the receipt number. A re-print is the same receipt; a reversed one says so",
    responses={200: {"content": {"application/pdf": {}}}},
)
async def receipt(
    payment_id: uuid.UUID, session: Session, principal: Principal = Depends(PAYERS)
) -> Response:
    payment = await repository.visible(session, Payment, payment_id, principal)
    return Response(
        await receipts.pdf(session, payment),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{payment.receipt_number}.pdf"'},
    )


@router.put(
    "/v1/units/{unit_id}/payer",
    summary="Name who pays for the unit (a current owner or tenant): invoices, dunning notices and receipts go "
    "to them alone; null: the owner pays again",
)
async def set_payer(
    unit_id: uuid.UUID, data: PayerSet, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    unit = await repository.managed(session, Unit, unit_id, principal, lock=True)
    return {
        "unit_id": str(unit_id),
        "payer": await payers.name(session, unit, data.resident_id, actor(principal)),
    }
