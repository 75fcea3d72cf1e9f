"""billing's tables, schema `billing`."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin, make_metadata
from propdesk.common.ids import uuid7
from propdesk.common.projections import estate_projection

SCHEMA = "billing"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


estate = estate_projection(Base.metadata)  # projection of intake's estates


class LedgerAccount(KeyMixin, TimestampMixin, Base):
    """The estate's chart of accounts for the double-entry ledger (defaults in `service.accounts`); purpose
    says which account takes a kind of revenue (revenue:parking) or a channel's money (cash:wechat)."""

    __tablename__ = "ledger_account"
    __table_args__ = (
        UniqueConstraint("estate_id", "code"),
        Index(
            "uq_ledger_account_purpose",
            "estate_id",
            "purpose",
            unique=True,
            postgresql_where=text("purpose IS NOT NULL"),
        ),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("billing.estate.id"))
    code: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(String(32))
    updated_by: Mapped[str | None] = mapped_column(String(100))


# ---------------------------------------------------------------- projections of intake's registry


class Unit(Base):
    __tablename__ = "unit"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    building_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    number: Mapped[str] = mapped_column(String(64))
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    kind: Mapped[str] = mapped_column(String(16))


class Payer(Base):
    """Who pays for a unit: its owners and tenants (from intake's occupancies)."""

    __tablename__ = "payer"

    occupancy_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    role: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)


# ---------------------------------------------------------------- the ledger


class JournalEntry(Base):
    """One money movement. Its lines balance (a deferred constraint trigger checks at commit); entries and
    lines are never updated or deleted (a trigger refuses): corrections are new entries."""

    __tablename__ = "journal_entry"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    posted_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC)
    )
    memo: Mapped[str] = mapped_column(String(200))
    source_kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class JournalLine(Base):
    __tablename__ = "journal_line"
    __table_args__ = (
        CheckConstraint(
            "(debit_fen > 0 AND credit_fen = 0) OR (credit_fen > 0 AND debit_fen = 0)", name="one_side"
        ),
        Index("ix_journal_line_account", "estate_id", "account", "unit_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    entry_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("billing.journal_entry.id"), index=True
    )
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    account: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    debit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_fen: Mapped[int] = mapped_column(BigInteger, default=0)


# ---------------------------------------------------------------- invoices, payments, deposits


class Invoice(KeyMixin, TimestampMixin, Base):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("estate_id", "number"),  # numbered per estate and period (numbering.py)
        Index(
            "uq_invoice_unit_period",
            "unit_id",
            "period",
            unique=True,
            postgresql_where=text("period IS NOT NULL AND source_kind = 'periodic'"),
        ),
        Index(  # a unit's late fees of a month go on one open invoice (period: the month they accrued in)
            "uq_invoice_late_fee_open",
            "unit_id",
            "period",
            unique=True,
            postgresql_where=text("source_kind = 'late_fee' AND state IN ('issued', 'partially_paid')"),
        ),
        Index(
            "uq_invoice_source",
            "source_kind",
            "source_id",
            unique=True,
            postgresql_where=text("source_id IS NOT NULL"),
        ),
        Index(
            "ix_invoice_unit_open",
            "unit_id",
            "issued_at",
            postgresql_where=text("state IN ('issued', 'partially_paid')"),
        ),
        Index(  # the arrears view reads only this index
            "ix_invoice_open_by_due",
            "estate_id",
            "due_on",
            postgresql_include=["unit_id", "total_fen", "paid_fen", "written_off_fen"],
            postgresql_where=text("state IN ('issued', 'partially_paid')"),
        ),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    number: Mapped[str] = mapped_column(String(32))
    period: Mapped[str | None] = mapped_column(String(7))
    source_kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    state: Mapped[str] = mapped_column(String(16), default="issued")
    total_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # settled without payment: a shortfall within the reconciliation tolerance, written off
    written_off_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[dt.date] = mapped_column(Date)
    dunning_paused: Mapped[str | None] = mapped_column(String(20))  # dispute | payment_plan


class InvoiceLine(KeyMixin, Base):
    __tablename__ = "invoice_line"

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("billing.invoice.id"), index=True
    )
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4), comment="fen per unit of quantity")
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    revenue_account: Mapped[str] = mapped_column(String(16))
    fee_item_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class FeeItem(KeyMixin, TimestampMixin, Base):
    """A recurring fee: a rate per m² per month for a kind of unit (物业费), or a fixed monthly amount; for the
    whole estate, or for one building (where it replaces the estate-wide item of the same code)."""

    __tablename__ = "fee_item"
    __table_args__ = (  # one rate per code and date, estate-wide or per building
        Index(
            "uq_fee_item_scope",
            "estate_id",
            "code",
            "effective_from",
            text("coalesce(building_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            unique=True,
        ),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    basis: Mapped[str] = mapped_column(String(16))  # per_m2 | fixed | metered
    meter: Mapped[str | None] = mapped_column(String(12))  # metered: water | electricity | gas
    unit_kind: Mapped[str] = mapped_column(String(16))
    building_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: every building
    category: Mapped[str] = mapped_column(
        String(16), default="property_fee", server_default="property_fee"
    )  # property_fee | parking | utilities: which revenue account it posts to
    rate: Mapped[Decimal] = mapped_column(Numeric(14, 4), comment="fen per m² per month, or fen per month")
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)


class Payment(KeyMixin, TimestampMixin, Base):
    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("estate_id", "receipt_number"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    credit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    receipt_number: Mapped[str] = mapped_column(String(32))
    received_by: Mapped[str] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10), default="posted", server_default="posted")
    payer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # who paid: the unit's payer then


class Allocation(KeyMixin, Base):
    """How much of a payment settled which invoice; immutable, so one payment over several invoices stays one.
    kind: payment; write_off (a shortfall within the reconciliation tolerance, with the payment); credit (the
    unit's credit applied when the invoice was issued, no payment); waiver (a late fee waived, no payment)."""

    __tablename__ = "allocation"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('payment', 'write_off', 'credit', 'waiver') "
            "AND (payment_id IS NOT NULL) = (kind IN ('payment', 'write_off'))",
            name="kind",
        ),
    )

    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("billing.payment.id"), index=True
    )
    invoice_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("billing.invoice.id"), index=True
    )
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10), default="payment", server_default="payment")


class Deposit(KeyMixin, TimestampMixin, Base):
    """A deposit billing holds (renovation, 装修押金): requested → held → released (minus deductions)."""

    __tablename__ = "deposit"
    __table_args__ = (UniqueConstraint("purpose", "source_id"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    purpose: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    reference: Mapped[str] = mapped_column(String(32))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default="requested")
    channel: Mapped[str | None] = mapped_column(String(16))
    held_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deductions: Mapped[list] = mapped_column(JSONB, default=list)
    refund_fen: Mapped[int | None] = mapped_column(BigInteger)
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class UnitPayer(Base):
    """The resident finance named as the unit's payer (a tenant who pays, say); without one, the owner pays."""

    __tablename__ = "unit_payer"

    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    named_by: Mapped[str] = mapped_column(String(100))
    named_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Resident(Base):
    """Projection of intake's residents: names, for matching a bank transfer's payer to a unit."""

    __tablename__ = "resident"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    name: Mapped[str] = mapped_column(String(100))


# ---------------------------------------------------------------- bank reconciliation (对账)


class Statement(KeyMixin, TimestampMixin, Base):
    __tablename__ = "statement"

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    format: Mapped[str] = mapped_column(String(10))
    imported_by: Mapped[str] = mapped_column(String(100))
    lines: Mapped[int] = mapped_column(BigInteger, default=0)


class StatementLine(KeyMixin, Base):
    __tablename__ = "statement_line"
    __table_args__ = (
        UniqueConstraint("estate_id", "bank_reference"),
        Index("ix_statement_line_estate_state_day", "estate_id", "state", "booked_on"),
    )

    statement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("billing.statement.id"), index=True
    )
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    booked_on: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payer_name: Mapped[str] = mapped_column(String(200), default="")
    memo: Mapped[str] = mapped_column(String(500), default="")
    bank_reference: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(12), default="unmatched")
    rule: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    explanation: Mapped[dict] = mapped_column(JSONB, default=dict)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    matched_by: Mapped[str | None] = mapped_column(String(100))


class StatementMapping(Base):
    """A bank export's columns, saved per estate under a name (the bank's, say) for the next import."""

    __tablename__ = "statement_mapping"

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    columns: Mapped[dict] = mapped_column(JSONB)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ReconciliationDay(Base):
    __tablename__ = "reconciliation_day"

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str] = mapped_column(String(100))


class BillingPolicy(Base):
    """The estate's arrears policy (late fees off by default; dunning stages); defaults in `service.arrears`."""

    __tablename__ = "billing_policy"

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    policy: Mapped[dict] = mapped_column(JSONB)
    updated_by: Mapped[str] = mapped_column(String(100))


class LateFee(Base):
    """One day's late fee on one invoice: at most one per invoice and day, whatever the number of runs."""

    __tablename__ = "late_fee"

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("billing.invoice.id"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class DunningNotice(Base):
    """A dunning stage reached by an invoice (sent once)."""

    __tablename__ = "dunning_notice"

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("billing.invoice.id"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    sent_on: Mapped[dt.date] = mapped_column(Date)


class MeterReading(KeyMixin, Base):
    """A meter reading: at move-in (the account opens), at move-out, or read monthly for metered fees."""

    __tablename__ = "meter_reading"
    __table_args__ = (UniqueConstraint("unit_id", "meter", "read_on"),)

    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    meter: Mapped[str] = mapped_column(String(12))
    reading: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    read_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(12))


class NumberCounter(Base):
    """The last number given per estate, kind (INV, RCP) and period (YYYYMM): taken inside the issuing
    transaction with the row locked, so a rolled-back or idempotent issue uses no number and the sequence of
    a period has no gap."""

    __tablename__ = "number_counter"

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(6), primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)
