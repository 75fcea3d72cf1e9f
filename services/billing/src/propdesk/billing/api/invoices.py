"""Invoices: the list, one with its lines and allocations, void, a pause of dunning."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.billing import repository
from propdesk.billing.api.deps import FINANCE, MANAGER, READERS, actor
from propdesk.billing.models import Invoice
from propdesk.billing.schemas import DunningPause, InvoiceRead, VoidCreate
from propdesk.billing.service import invoices
from propdesk.common.auth import Principal
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session

router = APIRouter(tags=["billing"])


@router.get(
    "/v1/estates/{estate_id}/invoices",
    response_model=Page[InvoiceRead],
    summary="Invoices, newest first; a resident sees only their own units'",
)
async def list_invoices(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(READERS),
    unit_id: uuid.UUID | None = None,
    state: str | None = None,
    period: str | None = None,
    params: PageParams = Depends(page_params),
):
    items, cursor = await invoices.listing(
        session, estate_id, principal, unit_id=unit_id, state=state, period=period, params=params
    )
    return Page(items=[InvoiceRead.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/v1/invoices/{invoice_id}",
    response_model=InvoiceRead,
    summary="An invoice with its lines and the payments allocated to it",
)
async def get_invoice(invoice_id: uuid.UUID, session: Session, principal: Principal = Depends(READERS)):
    return await invoices.read(session, await repository.visible(session, Invoice, invoice_id, principal))


@router.post(
    "/v1/invoices/{invoice_id}/void",
    response_model=InvoiceRead,
    summary="Void an unpaid invoice (a reversing entry)",
)
async def void_invoice(
    invoice_id: uuid.UUID, data: VoidCreate, session: Session, principal: Principal = Depends(FINANCE)
):
    invoice = await repository.managed(session, Invoice, invoice_id, principal, lock=True)
    voided = await invoices.void(session, invoice, reason=data.reason, actor=actor(principal))
    return await invoices.read(session, voided)


@router.post(
    "/v1/invoices/{invoice_id}/dunning",
    response_model=InvoiceRead,
    summary="Pause dunning and late fees for a dispute or a payment plan (paused: null resumes them)",
)
async def pause_dunning(
    invoice_id: uuid.UUID, data: DunningPause, session: Session, principal: Principal = Depends(FINANCE)
):
    invoice = await repository.managed(session, Invoice, invoice_id, principal, lock=True)
    return await invoices.read(session, await invoices.pause_dunning(session, invoice, data.paused))


@router.post(
    "/v1/invoices/{invoice_id}/waive",
    response_model=InvoiceRead,
    summary="Waive what is left of a late-fee invoice (a manager, with a reason): a waiver allocation and a "
    "journal entry taking the late-fee revenue back",
)
async def waive_late_fee(
    invoice_id: uuid.UUID, data: VoidCreate, session: Session, principal: Principal = Depends(MANAGER)
):
    invoice = await repository.managed(session, Invoice, invoice_id, principal, lock=True)
    waived = await invoices.waive(session, invoice, reason=data.reason, actor=actor(principal))
    return await invoices.read(session, waived)
