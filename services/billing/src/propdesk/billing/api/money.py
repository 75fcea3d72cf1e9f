from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import or_, select

from propdesk.billing.models import (
    Allocation,
    Deposit,
    FeeItem,
    Invoice,
    InvoiceLine,
    MeterReading,
    Payment,
    Unit,
)
from propdesk.billing.schemas import (
    AllocationRead,
    DepositPay,
    DepositRead,
    DunningPause,
    FeeItemCreate,
    FeeItemRead,
    GatewayPayment,
    InvoiceRead,
    LineRead,
    PaymentCreate,
    PaymentRead,
    ReadingCreate,
    ReadingRead,
    RefundCreate,
    RunCreate,
    VoidCreate,
)
from propdesk.billing.service import (
    arrears,
    collection,
    deposits,
    invoices,
    ledger,
    payments,
    reconciliation,
    registry,
    reports,
)
from propdesk.common.auth import Principal, Role, require_roles, unit_filter
from propdesk.common.db import settings_of
from propdesk.common.errors import Forbidden, NotFound
from propdesk.common.i18n import Text
from propdesk.common.pagination import Page, PageParams, page_of, page_params, paginate
from propdesk.common.timeutil import to_local, utcnow
from propdesk.common.web import Session, idempotent, require_signature

router = APIRouter(tags=["billing"])
FINANCE = require_roles(Role.finance, Role.manager)
CASHIERS = require_roles(Role.finance, Role.manager, Role.receptionist)
ANYONE = require_roles(*Role)


class BillingNotFound(NotFound):
    code = "billing-record-not-found"
    title = Text("记录不存在", "Not found")


PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"  # YYYY-MM


async def _managed(session, model, record_id: uuid.UUID, principal: Principal, *, lock: bool = False):
    """A record staff act on: 404 when there is none, 403 outside the principal's estates."""
    row = await session.get(model, record_id, with_for_update=lock)
    if row is None:
        raise BillingNotFound(_missing(model, record_id))
    principal.require_estate(row.estate_id)
    return row


async def _visible(session, model, record_id: uuid.UUID, principal: Principal):
    """A record a resident may read too: 404 unless its estate is the principal's, then their own unit only."""
    row = await session.get(model, record_id)
    if row is None or not principal.can_see_estate(row.estate_id):
        raise BillingNotFound(_missing(model, record_id))
    principal.require_unit(row.id if model is Unit else row.unit_id)
    return row


def _missing(model, record_id) -> str:
    return (
        f"unit {record_id} not known to billing"
        if model is Unit
        else f"{model.__tablename__} {record_id} not found"
    )


def _payment_read(payment: Payment, allocations) -> PaymentRead:
    read = PaymentRead.model_validate(payment)
    read.allocations = [AllocationRead.model_validate(a) for a in allocations]
    return read


@router.get(
    "/v1/estates/{estate_id}/fee-items", response_model=list[FeeItemRead], summary="Fee items and their rates"
)
async def fee_items(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(CASHIERS)):
    principal.require_estate(estate_id)
    rows = await session.execute(
        select(FeeItem).where(FeeItem.estate_id == estate_id).order_by(FeeItem.code, FeeItem.effective_from)
    )
    return [FeeItemRead.model_validate(f) for f in rows.scalars()]


@router.post(
    "/v1/estates/{estate_id}/fee-items",
    status_code=201,
    response_model=FeeItemRead,
    summary="A fee item with its effective dates",
)
async def add_fee_item(
    estate_id: uuid.UUID, data: FeeItemCreate, session: Session, principal: Principal = Depends(FINANCE)
):
    principal.require_estate(estate_id)
    return FeeItemRead.model_validate(await invoices.add_fee_item(session, estate_id, data))


@router.post(
    "/v1/estates/{estate_id}/billing-runs",
    summary="Bill every unit for a month's fee items (set-based); running a period again bills nothing twice",
)
async def billing_run(
    estate_id: uuid.UUID, data: RunCreate, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    principal.require_estate(estate_id)
    return await invoices.run(session, estate_id, data.period)


async def _invoice_read(session, invoice: Invoice) -> InvoiceRead:
    read = InvoiceRead.model_validate(invoice)
    read.lines = [
        LineRead.model_validate(x)
        for x in (
            await session.execute(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        ).scalars()
    ]
    read.allocations = [
        AllocationRead.model_validate(a)
        for a in (
            await session.execute(select(Allocation).where(Allocation.invoice_id == invoice.id))
        ).scalars()
    ]
    return read


@router.get(
    "/v1/estates/{estate_id}/invoices",
    response_model=Page[InvoiceRead],
    summary="Invoices, newest first; a resident sees only their own units'",
)
async def list_invoices(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    unit_id: uuid.UUID | None = None,
    state: str | None = None,
    period: str | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    if not principal.is_resident_only and not principal.has(
        Role.finance, Role.manager, Role.receptionist, Role.admin
    ):
        raise Forbidden(Text("无权查看账单", "No access to invoices"))
    stmt = select(Invoice).where(Invoice.estate_id == estate_id, unit_filter(principal, Invoice.unit_id))
    for column, value in ((Invoice.unit_id, unit_id), (Invoice.state, state), (Invoice.period, period)):
        if value is not None:
            stmt = stmt.where(column == value)
    rows = (
        await session.execute(paginate(stmt, params, key=Invoice.created_at, tiebreak=Invoice.id))
    ).scalars()
    items, cursor = page_of(list(rows), params, cursor_of=lambda i: [i.created_at.isoformat(), str(i.id)])
    return Page(items=[InvoiceRead.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/v1/invoices/{invoice_id}",
    response_model=InvoiceRead,
    summary="An invoice with its lines and the payments allocated to it",
)
async def get_invoice(invoice_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    return await _invoice_read(session, await _visible(session, Invoice, invoice_id, principal))


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
    principal: Principal = Depends(CASHIERS),
):
    await _managed(session, Unit, unit_id, principal)

    async def create():
        payment, allocations = await payments.pay(
            session,
            unit_id,
            amount_fen=data.amount_fen,
            channel=data.channel,
            invoice_ids=data.invoice_ids,
            reference=data.reference,
            actor=principal.name or principal.sub,
        )
        return _payment_read(payment, allocations)

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/units/{unit_id}/account", summary="A unit's account: what it owes, its open invoices, its payments"
)
async def account(unit_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)) -> dict:
    unit = await _visible(session, Unit, unit_id, principal)
    open_invoices = (
        await session.execute(
            select(Invoice)
            .where(
                Invoice.unit_id == unit_id, or_(Invoice.state == "issued", Invoice.state == "partially_paid")
            )
            .order_by(Invoice.issued_at)
        )
    ).scalars()
    paid = (
        await session.execute(select(Payment).where(Payment.unit_id == unit_id).order_by(Payment.created_at))
    ).scalars()
    return {
        "unit_id": str(unit_id),
        "number": unit.number,
        "balance_fen": await ledger.unit_balance(session, unit_id),
        "open_invoices": [InvoiceRead.model_validate(i).model_dump(mode="json") for i in open_invoices],
        "payments": [PaymentRead.model_validate(p).model_dump(mode="json") for p in paid],
    }


@router.get(
    "/v1/estates/{estate_id}/deposits",
    response_model=list[DepositRead],
    summary="Deposits requested, held and released",
)
async def list_deposits(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(CASHIERS)):
    principal.require_estate(estate_id)
    rows = await session.execute(
        select(Deposit).where(Deposit.estate_id == estate_id).order_by(Deposit.created_at)
    )
    return [DepositRead.model_validate(d) for d in rows.scalars()]


@router.post(
    "/v1/deposits/{deposit_id}/pay",
    response_model=DepositRead,
    summary="The deposit was paid: billing holds it and tells intake",
)
async def pay_deposit(
    deposit_id: uuid.UUID, data: DepositPay, session: Session, principal: Principal = Depends(CASHIERS)
):
    deposit = await _managed(session, Deposit, deposit_id, principal, lock=True)
    return DepositRead.model_validate(await deposits.pay(session, deposit, channel=data.channel))


@router.get(
    "/v1/estates/{estate_id}/trial-balance",
    summary="Per account: opening balance, the period's debits and credits, closing balance (all time "
    "without a period); debits and credits always agree",
)
async def trial_balance(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(FINANCE),
    period: str | None = Query(None, pattern=PERIOD, description="YYYY-MM, estate time"),
) -> dict:
    principal.require_estate(estate_id)
    return await ledger.trial_balance(session, estate_id, period)


@router.post(
    "/v1/invoices/{invoice_id}/void",
    response_model=InvoiceRead,
    summary="Void an unpaid invoice (a reversing entry)",
)
async def void_invoice(
    invoice_id: uuid.UUID, data: VoidCreate, session: Session, principal: Principal = Depends(FINANCE)
):
    invoice = await _managed(session, Invoice, invoice_id, principal, lock=True)
    return await _invoice_read(
        session,
        await invoices.void(session, invoice, reason=data.reason, actor=principal.name or principal.sub),
    )


@router.get(
    "/v1/estates/{estate_id}/arrears",
    summary="Arrears aged 0-30, 31-60, 61-90 and 90+ days past due, per unit, building and estate",
)
async def arrears_view(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(CASHIERS),
    as_of: dt.date | None = None,
    building_id: uuid.UUID | None = None,
    limit: int = Query(100, ge=1, le=100_000, description="how many units to list, largest arrears first"),
) -> dict:
    principal.require_estate(estate_id)
    today = as_of or to_local(utcnow()).date()
    return await arrears.aging(session, estate_id, today, building_id=building_id, limit=limit)


@router.get(
    "/v1/estates/{estate_id}/billing-policy",
    response_model=collection.Policy,
    summary="Late fees (off by default) and dunning stages",
)
async def get_policy(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(FINANCE)):
    principal.require_estate(estate_id)
    return await collection.policy_of(session, estate_id)


@router.put(
    "/v1/estates/{estate_id}/billing-policy",
    response_model=collection.Policy,
    summary="Replace the arrears policy",
)
async def put_policy(
    estate_id: uuid.UUID, data: collection.Policy, session: Session, principal: Principal = Depends(FINANCE)
):
    principal.require_estate(estate_id)
    return await collection.save_policy(session, estate_id, data, principal.name or principal.sub)


@router.post(
    "/v1/estates/{estate_id}/billing-days/{day}/run",
    summary="Run a day's late fees and dunning (the daily timer does this at 01:00; this catches a day up). "
    "Running a day twice accrues and sends nothing twice",
)
async def run_day(
    estate_id: uuid.UUID, day: dt.date, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    principal.require_estate(estate_id)
    return await collection.run_day(session, estate_id, day)


@router.post(
    "/v1/invoices/{invoice_id}/dunning",
    response_model=InvoiceRead,
    summary="Pause dunning and late fees for a dispute or a payment plan (paused: null resumes them)",
)
async def pause_dunning(
    invoice_id: uuid.UUID, data: DunningPause, session: Session, principal: Principal = Depends(FINANCE)
):
    invoice = await _managed(session, Invoice, invoice_id, principal, lock=True)
    invoice.dunning_paused = data.paused
    await session.flush()
    return await _invoice_read(session, invoice)


async def _report(session, estate_id: uuid.UUID, name: str, period: str | None) -> list[dict]:
    if name == "collection":
        return await reports.collection(session, estate_id)
    if name == "revenue":
        return await reports.revenue(session, estate_id, period)
    if name == "reconciliation":
        return [reconciliation.flat(d) for d in await reconciliation.daily_report(session, estate_id)]
    if name == "arrears":
        return (await arrears.aging(session, estate_id, to_local(utcnow()).date()))["units"]
    return (await ledger.trial_balance(session, estate_id, period))["accounts"]


@router.get(
    "/v1/estates/{estate_id}/reports/{name}",
    summary="Finance reports as JSON: collection (收缴率 per month), revenue (by fee item), arrears, trial-balance, reconciliation (per day)",
)
async def report(
    estate_id: uuid.UUID,
    name: Literal["collection", "revenue", "arrears", "trial-balance", "reconciliation"],
    session: Session,
    principal: Principal = Depends(FINANCE),
    period: str | None = Query(None, pattern=PERIOD),
) -> list[dict]:
    principal.require_estate(estate_id)
    return await _report(session, estate_id, name, period)


@router.get(
    "/v1/estates/{estate_id}/reports/{name}/export",
    response_class=Response,
    summary="The same report as CSV or XLSX",
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
async def report_export(
    estate_id: uuid.UUID,
    name: Literal["collection", "revenue", "arrears", "trial-balance", "reconciliation"],
    session: Session,
    principal: Principal = Depends(FINANCE),
    period: str | None = Query(None, pattern=PERIOD),
    format: Literal["csv", "xlsx"] = "xlsx",
):
    principal.require_estate(estate_id)
    body, media = reports.export(await _report(session, estate_id, name, period), format, name)
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'}
    )


@router.post(
    "/v1/units/{unit_id}/refunds",
    summary="Refund a unit's credit (what it paid in excess); more than the credit is refused",
)
async def refund(
    unit_id: uuid.UUID, data: RefundCreate, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    unit = await _managed(session, Unit, unit_id, principal, lock=True)
    entry = await payments.refund(
        session, unit, amount_fen=data.amount_fen, channel=data.channel, reason=data.reason
    )
    return {
        "unit_id": str(unit_id),
        "refunded_fen": data.amount_fen,
        "entry_id": str(entry),
        "balance_fen": await ledger.unit_balance(session, unit_id),
    }


@router.post(
    "/v1/units/{unit_id}/meter-readings",
    response_model=ReadingRead,
    status_code=201,
    summary="A meter reading (for metered fees)",
)
async def add_reading(
    unit_id: uuid.UUID, data: ReadingCreate, session: Session, principal: Principal = Depends(CASHIERS)
):
    await _managed(session, Unit, unit_id, principal)
    await registry.record_readings(session, unit_id, [data], data.read_on, "reading")
    return ReadingRead(meter=data.meter, reading=data.reading, read_on=data.read_on, source="reading")


@router.get(
    "/v1/units/{unit_id}/meter-readings",
    response_model=list[ReadingRead],
    summary="A unit's meter readings, newest first",
)
async def readings(unit_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    await _visible(session, Unit, unit_id, principal)
    rows = await session.execute(
        select(MeterReading)
        .where(MeterReading.unit_id == unit_id)
        .order_by(MeterReading.read_on.desc(), MeterReading.meter)
    )
    return [ReadingRead.model_validate(r) for r in rows.scalars()]


@router.post(
    "/v1/webhooks/payments",
    response_model=PaymentRead,
    summary="A WeChat Pay / Alipay payment through the gateway adapter (HMAC-SHA256 of the body in "
    "X-Propdesk-Signature: sha256=…); the gateway's transaction id makes a repeated notification harmless",
)
async def gateway_payment(request: Request, data: GatewayPayment, session: Session):
    await require_signature(request, settings_of(session).payment_webhook_secret.get_secret_value())
    reference = f"{data.gateway}:{data.transaction_id}"
    seen = (await session.execute(select(Payment).where(Payment.reference == reference))).scalar_one_or_none()
    if seen is not None:  # the gateway notifies again: the same payment, once
        allocations = await session.execute(select(Allocation).where(Allocation.payment_id == seen.id))
        return _payment_read(seen, allocations.scalars())
    if await session.get(Unit, data.unit_id) is None:
        raise BillingNotFound(_missing(Unit, data.unit_id))
    payment, allocations = await payments.pay(
        session,
        data.unit_id,
        amount_fen=data.amount_fen,
        channel=data.gateway,
        invoice_ids=data.invoice_ids,
        reference=reference,
        actor=f"gateway:{data.gateway}",
    )
    return _payment_read(payment, allocations)


@router.post(
    "/v1/payments/{payment_id}/reverse",
    response_model=PaymentRead,
    summary="Reverse a payment (new entries, never edits)",
)
async def reverse_payment(
    payment_id: uuid.UUID, data: VoidCreate, session: Session, principal: Principal = Depends(FINANCE)
):
    payment = await _managed(session, Payment, payment_id, principal, lock=True)
    await payments.reverse(session, payment, reason=data.reason, actor=principal.name or principal.sub)
    return PaymentRead.model_validate(payment)
