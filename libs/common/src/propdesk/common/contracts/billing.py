"""Events produced by billing."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from propdesk.common.events import EventPayload, Field, event


@event(
    "billing.estate.provisioned",
    summary="billing has its projection of a newly registered estate and set up its billing ledger for the estate (chart of accounts) opened.",
)
class EstateProvisioned(EventPayload):
    estate_id: uuid.UUID
    service: str = "billing"
    detail: dict[str, str | int | bool] = {}


@event(
    "billing.deposit.held",
    summary="billing holds a deposit it was asked for (for example a renovation deposit, once paid).",
)
class DepositHeld(EventPayload):
    deposit_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    purpose: str = "renovation"
    source_id: uuid.UUID = Field(description="the requesting record, e.g. the renovation id")
    amount_fen: int


@event(
    "billing.invoice.issued",
    summary="An invoice was issued for a unit (a monthly run, a repair charge, a fine); its payers are told.",
    notifies=True,
)
class InvoiceIssued(EventPayload):
    invoice_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    number: str
    period: str | None = None
    total_fen: int
    due_on: datetime.date
    payer_id: uuid.UUID | None = Field(
        None, description="the resident who pays for the unit (its named payer, else its owner): who is told"
    )


@event("billing.payment.received", summary="A payment was received and allocated (its receipt number).")
class PaymentReceived(EventPayload):
    payment_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    receipt_number: str
    amount_fen: int
    allocated_fen: int
    credit_fen: int
    channel: str
    written_off_fen: int = 0  # a shortfall within the reconciliation tolerance, settled without payment
    payer_id: uuid.UUID | None = Field(
        None, description="the resident who pays for the unit (its named payer, else its owner): who is told"
    )


@event(
    "billing.deposit.released",
    summary="A deposit was released: refunded minus the itemised deductions.",
)
class DepositReleased(EventPayload):
    deposit_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    purpose: str
    source_id: uuid.UUID
    amount_fen: int
    deductions_fen: int
    refund_fen: int
    payer_id: uuid.UUID | None = Field(None, description="the unit's payer: who is told of the refund")


@event(
    "billing.dunning.stage",
    summary="An overdue invoice reached a dunning stage (friendly reminder, second reminder, formal notice, "
    "manager escalation); notify tells the payers, or the managers. Billing never cuts water, power or access.",
    notifies=True,
)
class DunningStage(EventPayload):
    invoice_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    number: str
    stage: Literal["friendly", "second", "formal_notice", "manager"]
    days_overdue: int
    outstanding_fen: int
    payer_id: uuid.UUID | None = Field(
        None, description="the resident who pays for the unit (its named payer, else its owner): who is told"
    )
