from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from propdesk.common.inputs import Input


class LedgerAccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    estate_id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    kind: str


Channel = Literal["cash", "bank_transfer", "card", "wechat", "alipay"]


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FeeItemCreate(Input):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
    name: str = Field(min_length=1, max_length=100, examples=["物业服务费"])
    basis: Literal["per_m2", "fixed", "metered"]
    meter: Literal["water", "electricity", "gas"] | None = Field(
        default=None, description="metered fees: which meter"
    )
    unit_kind: Literal["residential", "shop", "parking"]
    rate: Decimal = Field(
        gt=0,
        max_digits=14,
        decimal_places=4,
        description="fen per m² per month, per month, or per unit consumed",
    )
    effective_from: dt.date
    effective_to: dt.date | None = None

    @model_validator(mode="after")
    def _meter_for_metered(self) -> FeeItemCreate:
        if (self.basis == "metered") != (self.meter is not None):
            raise ValueError("a metered fee names its meter, and only a metered fee does")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class FeeItemRead(Output):
    id: uuid.UUID
    code: str
    name: str
    basis: str
    meter: str | None = None
    unit_kind: str
    rate: Decimal
    effective_from: dt.date
    effective_to: dt.date | None


class RunCreate(Input):
    period: str = Field(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", examples=["2026-12"])


class LineRead(Output):
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount_fen: int
    revenue_account: str


class AllocationRead(Output):
    payment_id: uuid.UUID
    invoice_id: uuid.UUID
    amount_fen: int
    kind: str = "payment"  # | write_off: a shortfall within the reconciliation tolerance


class InvoiceRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    number: str
    period: str | None
    source_kind: str
    state: str
    total_fen: int
    paid_fen: int
    written_off_fen: int = 0
    issued_at: dt.datetime
    due_on: dt.date
    dunning_paused: str | None = None
    lines: list[LineRead] = []
    allocations: list[AllocationRead] = []


class PaymentCreate(Input):
    amount_fen: int = Field(gt=0, le=100_000_000_00, description="integer fen")
    channel: Channel
    invoice_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=100, description="default: oldest open first"
    )
    reference: str | None = Field(default=None, max_length=100)


class PaymentRead(Output):
    id: uuid.UUID
    unit_id: uuid.UUID
    channel: str
    amount_fen: int
    credit_fen: int
    receipt_number: str
    received_by: str
    reference: str | None = None
    state: str = "posted"
    created_at: dt.datetime
    allocations: list[AllocationRead] = []


class DepositPay(Input):
    channel: Channel


class DepositRead(Output):
    id: uuid.UUID
    unit_id: uuid.UUID
    purpose: str
    source_id: uuid.UUID
    reference: str
    amount_fen: int
    state: str
    channel: str | None
    held_at: dt.datetime | None
    deductions: list[dict]
    refund_fen: int | None
    released_at: dt.datetime | None


class VoidCreate(Input):
    reason: str = Field(min_length=1, max_length=500)


class StatementLineRead(Output):
    id: uuid.UUID
    statement_id: uuid.UUID
    booked_on: dt.date
    amount_fen: int
    payer_name: str
    memo: str
    bank_reference: str
    state: str
    rule: str | None
    score: Decimal | None
    explanation: dict
    unit_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    matched_by: str | None


class ManualMatch(Input):
    unit_id: uuid.UUID
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class DunningPause(Input):
    paused: Literal["dispute", "payment_plan"] | None


class RefundCreate(Input):
    amount_fen: int = Field(gt=0, le=100_000_000_00)
    channel: Channel
    reason: str = Field(min_length=1, max_length=500)


class ReadingCreate(Input):
    meter: Literal["water", "electricity", "gas"]
    reading: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    read_on: dt.date


class ReadingRead(Output):
    meter: str
    reading: Decimal
    read_on: dt.date
    source: str


class GatewayPayment(Input):
    """What the payment gateway adapter posts when a WeChat Pay or Alipay payment succeeds (signed per Standard
    Webhooks; the estate is part of what is signed)."""

    gateway: Literal["wechat", "alipay"]
    transaction_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    amount_fen: int = Field(gt=0, le=100_000_000_00)
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
