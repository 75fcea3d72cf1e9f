"""invoices, payments, ledger, deposits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 18:49:05.559010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS billing.invoice_number")
    op.execute("CREATE SEQUENCE IF NOT EXISTS billing.receipt_number")
    op.create_table(
        "deposit",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deductions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("refund_fen", sa.BigInteger(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit")),
        sa.UniqueConstraint("purpose", "source_id", name=op.f("uq_deposit_purpose_source_id")),
        schema="billing",
    )
    op.create_index(op.f("ix_deposit_estate_id"), "deposit", ["estate_id"], unique=False, schema="billing")
    op.create_table(
        "fee_item",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column(
            "rate",
            sa.Numeric(precision=14, scale=4),
            nullable=False,
            comment="fen per m² per month, or fen per month",
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_item")),
        sa.UniqueConstraint(
            "estate_id", "code", "effective_from", name=op.f("uq_fee_item_estate_id_code_effective_from")
        ),
        schema="billing",
    )
    op.create_index(op.f("ix_fee_item_estate_id"), "fee_item", ["estate_id"], unique=False, schema="billing")
    op.create_table(
        "invoice",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_number")),
        schema="billing",
    )
    op.create_index(op.f("ix_invoice_estate_id"), "invoice", ["estate_id"], unique=False, schema="billing")
    op.create_index(
        "ix_invoice_unit_open",
        "invoice",
        ["unit_id", "issued_at"],
        unique=False,
        schema="billing",
        postgresql_where=sa.text("state IN ('issued', 'partially_paid')"),
    )
    op.create_index(
        "uq_invoice_source",
        "invoice",
        ["source_kind", "source_id"],
        unique=True,
        schema="billing",
        postgresql_where=sa.text("source_id IS NOT NULL"),
    )
    op.create_index(
        "uq_invoice_unit_period",
        "invoice",
        ["unit_id", "period"],
        unique=True,
        schema="billing",
        postgresql_where=sa.text("period IS NOT NULL"),
    )
    op.create_table(
        "journal_entry",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entry")),
        schema="billing",
    )
    op.create_index(
        op.f("ix_journal_entry_estate_id"), "journal_entry", ["estate_id"], unique=False, schema="billing"
    )
    op.create_table(
        "payer",
        sa.Column("occupancy_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("occupancy_id", name=op.f("pk_payer")),
        schema="billing",
    )
    op.create_index(op.f("ix_payer_resident_id"), "payer", ["resident_id"], unique=False, schema="billing")
    op.create_index(op.f("ix_payer_unit_id"), "payer", ["unit_id"], unique=False, schema="billing")
    op.create_table(
        "payment",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("credit_fen", sa.BigInteger(), nullable=False),
        sa.Column("receipt_number", sa.String(length=32), nullable=False),
        sa.Column("received_by", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_payment_receipt_number")),
        schema="billing",
    )
    op.create_index(op.f("ix_payment_estate_id"), "payment", ["estate_id"], unique=False, schema="billing")
    op.create_index(op.f("ix_payment_unit_id"), "payment", ["unit_id"], unique=False, schema="billing")
    op.create_table(
        "unit",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("building_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("area_m2", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        schema="billing",
    )
    op.create_index(op.f("ix_unit_estate_id"), "unit", ["estate_id"], unique=False, schema="billing")
    op.create_table(
        "allocation",
        sa.Column("payment_id", sa.UUID(), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["billing.invoice.id"], name=op.f("fk_allocation_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["billing.payment.id"], name=op.f("fk_allocation_payment_id_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation")),
        schema="billing",
    )
    op.create_index(
        op.f("ix_allocation_invoice_id"), "allocation", ["invoice_id"], unique=False, schema="billing"
    )
    op.create_index(
        op.f("ix_allocation_payment_id"), "allocation", ["payment_id"], unique=False, schema="billing"
    )
    op.create_table(
        "invoice_line",
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "unit_price",
            sa.Numeric(precision=14, scale=4),
            nullable=False,
            comment="fen per unit of quantity",
        ),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("revenue_account", sa.String(length=16), nullable=False),
        sa.Column("fee_item_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["billing.invoice.id"], name=op.f("fk_invoice_line_invoice_id_invoice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
        schema="billing",
    )
    op.create_index(
        op.f("ix_invoice_line_invoice_id"), "invoice_line", ["invoice_id"], unique=False, schema="billing"
    )
    op.create_table(
        "journal_line",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entry_id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=True),
        sa.Column("debit_fen", sa.BigInteger(), nullable=False),
        sa.Column("credit_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(debit_fen > 0 AND credit_fen = 0) OR (credit_fen > 0 AND debit_fen = 0)",
            name=op.f("ck_journal_line_one_side"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["billing.journal_entry.id"], name=op.f("fk_journal_line_entry_id_journal_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_line")),
        schema="billing",
    )
    op.create_index(
        "ix_journal_line_account",
        "journal_line",
        ["estate_id", "account", "unit_id"],
        unique=False,
        schema="billing",
    )
    op.create_index(
        op.f("ix_journal_line_entry_id"), "journal_line", ["entry_id"], unique=False, schema="billing"
    )
    # the ledger guards itself: every statement's entries balance, and nothing posted changes
    op.execute("""
        CREATE FUNCTION billing.journal_balanced() RETURNS trigger AS $$
        DECLARE bad record;
        BEGIN
          SELECT l.entry_id, sum(l.debit_fen) AS d, sum(l.credit_fen) AS c INTO bad
          FROM billing.journal_line l WHERE l.entry_id IN (SELECT DISTINCT entry_id FROM new_lines)
          GROUP BY l.entry_id HAVING sum(l.debit_fen) <> sum(l.credit_fen) LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'journal entry % does not balance: debits % fen, credits % fen', bad.entry_id, bad.d, bad.c
              USING ERRCODE = '23514';
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql
    """)
    op.execute(
        "CREATE TRIGGER journal_line_balanced AFTER INSERT ON billing.journal_line "
        "REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION billing.journal_balanced()"
    )
    op.execute("""
        CREATE FUNCTION billing.journal_immutable() RETURNS trigger AS $$
        BEGIN
          RAISE EXCEPTION 'posted journal entries never change: post a correcting entry' USING ERRCODE = '55000';
        END $$ LANGUAGE plpgsql
    """)
    for table in ("journal_line", "journal_entry"):
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON billing.{table} "
            "FOR EACH ROW EXECUTE FUNCTION billing.journal_immutable()"
        )


def downgrade() -> None:
    for table in ("journal_line", "journal_entry"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON billing.{table}")
    op.execute("DROP TRIGGER IF EXISTS journal_line_balanced ON billing.journal_line")
    op.execute("DROP FUNCTION IF EXISTS billing.journal_immutable()")
    op.execute("DROP FUNCTION IF EXISTS billing.journal_balanced()")
    op.drop_index(op.f("ix_journal_line_entry_id"), table_name="journal_line", schema="billing")
    op.drop_index("ix_journal_line_account", table_name="journal_line", schema="billing")
    op.drop_table("journal_line", schema="billing")
    op.drop_index(op.f("ix_invoice_line_invoice_id"), table_name="invoice_line", schema="billing")
    op.drop_table("invoice_line", schema="billing")
    op.drop_index(op.f("ix_allocation_payment_id"), table_name="allocation", schema="billing")
    op.drop_index(op.f("ix_allocation_invoice_id"), table_name="allocation", schema="billing")
    op.drop_table("allocation", schema="billing")
    op.drop_index(op.f("ix_unit_estate_id"), table_name="unit", schema="billing")
    op.drop_table("unit", schema="billing")
    op.drop_index(op.f("ix_payment_unit_id"), table_name="payment", schema="billing")
    op.drop_index(op.f("ix_payment_estate_id"), table_name="payment", schema="billing")
    op.drop_table("payment", schema="billing")
    op.drop_index(op.f("ix_payer_unit_id"), table_name="payer", schema="billing")
    op.drop_index(op.f("ix_payer_resident_id"), table_name="payer", schema="billing")
    op.drop_table("payer", schema="billing")
    op.drop_index(op.f("ix_journal_entry_estate_id"), table_name="journal_entry", schema="billing")
    op.drop_table("journal_entry", schema="billing")
    op.drop_index(
        "uq_invoice_unit_period",
        table_name="invoice",
        schema="billing",
        postgresql_where=sa.text("period IS NOT NULL"),
    )
    op.drop_index(
        "uq_invoice_source",
        table_name="invoice",
        schema="billing",
        postgresql_where=sa.text("source_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_invoice_unit_open",
        table_name="invoice",
        schema="billing",
        postgresql_where=sa.text("state IN ('issued', 'partially_paid')"),
    )
    op.drop_index(op.f("ix_invoice_estate_id"), table_name="invoice", schema="billing")
    op.drop_table("invoice", schema="billing")
    op.drop_index(op.f("ix_fee_item_estate_id"), table_name="fee_item", schema="billing")
    op.drop_table("fee_item", schema="billing")
    op.drop_index(op.f("ix_deposit_estate_id"), table_name="deposit", schema="billing")
    op.drop_table("deposit", schema="billing")
