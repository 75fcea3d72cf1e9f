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
    purpose: str | None = Field(
        None,
        description="revenue:<category> or cash:<channel> when this account takes it",
        examples=["cash:wechat"],
    )
    updated_by: str | None = None


Purpose = Literal[
    "revenue:property_fee",
    "revenue:parking",
    "revenue:utilities",
    "revenue:repair",
    "revenue:fine",
    "revenue:late_fee",
    "cash:cash",
    "cash:bank_transfer",
    "cash:wechat",
    "cash:alipay",
    "cash:card",
]


class LedgerAccountSave(Input):
    name_zh: str = Field(min_length=1, max_length=100, examples=["主营业务收入—停车服务费"])
    name_en: str = Field(min_length=1, max_length=100, examples=["Revenue — parking"])
    kind: Literal["asset", "liability", "revenue", "expense"]
    purpose: Purpose | None = Field(
        None, description="make this the account for a kind of revenue or a payment channel's money"
    )


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
    building_id: uuid.UUID | None = Field(
        None, description="this building only: its rate replaces the estate-wide item of the same code there"
    )
    category: Literal["property_fee", "parking", "utilities"] | None = Field(
        None,
        description="the revenue account it posts to; by default utilities for a metered fee, parking for a "
        "parking space's, the property fee otherwise",
    )
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
        if self.category is None:
            self.category = (
                "utilities"
                if self.basis == "metered"
                else "parking"
                if self.unit_kind == "parking"
                else "property_fee"
            )
        return self


class FeeItemRead(Output):
    id: uuid.UUID
    code: str
    name: str
    basis: str
    meter: str | None = None
    unit_kind: str
    building_id: uuid.UUID | None = None
    category: str = "property_fee"
    rate: Decimal
    effective_from: dt.date
    effective_to: dt.date | None


class RunCreate(Input):
    period: str = Field(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", examples=["2026-12"])
    expected_total_fen: int | None = Field(
        None,
        ge=0,
        description="the total the preview showed: the run is refused (409, nothing issued) when what it would "
        "issue now differs, so that what finance checked is what goes out",
    )


class RunPreview(Input):
    period: str = Field(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", examples=["2026-12"])


class LineRead(Output):
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount_fen: int
    revenue_account: str


class AllocationRead(Output):
    payment_id: uuid.UUID | None = Field(description="none for credit applied and for a waiver")
    invoice_id: uuid.UUID
    amount_fen: int
    kind: Literal["payment", "write_off", "credit", "waiver"] = Field(
        "payment",
        description="payment; write_off: a shortfall within the reconciliation tolerance; credit: the unit's "
        "credit applied when the invoice was issued; waiver: a late fee waived by a manager",
    )


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
    overdue_override_reason: str | None = Field(
        None,
        min_length=1,
        max_length=500,
        description="the credit first settles the unit's overdue invoices; give a reason to refund without "
        "settling them (kept in the journal)",
    )


class StatementColumns(Input):
    """Which column of a bank's export holds what: a signed amount, or separate credit and debit columns."""

    date: str = Field(min_length=1, max_length=60, examples=["交易日期"])
    amount: str | None = Field(None, max_length=60, examples=["交易金额"])
    credit: str | None = Field(None, max_length=60, examples=["贷方发生额"])
    debit: str | None = Field(None, max_length=60, examples=["借方发生额"])
    reference: str | None = Field(None, max_length=60, examples=["交易流水号"])
    name: str | None = Field(None, max_length=60, examples=["对方户名"])
    memo: str | None = Field(None, max_length=60, examples=["摘要"])

    @model_validator(mode="after")
    def _amount_or_credit(self) -> StatementColumns:
        if (self.amount is None) == (self.credit is None):
            raise ValueError("name either the amount column or the credit (and debit) columns")
        return self


class StatementMappingRead(Output):
    name: str
    columns: dict[str, str]
    preset: bool = False
    updated_by: str | None = None


class PayerSet(Input):
    resident_id: uuid.UUID | None = Field(
        description="a current owner or tenant of the unit; null: the owner pays again"
    )


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
