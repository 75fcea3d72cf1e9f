"""gapless invoice and receipt numbers per estate and period (a counter row taken in the issuing transaction);
numbers unique per estate

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:40:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "number_counter",
        sa.Column("estate_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("period", sa.String(length=6), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("estate_id", "kind", "period", name=op.f("pk_number_counter")),
        schema="billing",
    )
    # numbers already given (from the old platform-wide sequences) continue: each counter starts at the highest
    op.execute("""
        INSERT INTO billing.number_counter (estate_id, kind, period, last)
        SELECT estate_id, 'INV', substr(number, 5, 6), max(substr(number, 12)::bigint)
        FROM billing.invoice WHERE number ~ '^INV-[0-9]{6}-[0-9]+$' GROUP BY estate_id, substr(number, 5, 6)
    """)
    op.execute("""
        INSERT INTO billing.number_counter (estate_id, kind, period, last)
        SELECT estate_id, 'RCP', substr(receipt_number, 5, 6), max(substr(receipt_number, 12)::bigint)
        FROM billing.payment WHERE receipt_number ~ '^RCP-[0-9]{6}-[0-9]+$'
        GROUP BY estate_id, substr(receipt_number, 5, 6)
    """)
    op.drop_constraint("uq_invoice_number", "invoice", schema="billing")
    op.create_unique_constraint(
        op.f("uq_invoice_estate_id_number"), "invoice", ["estate_id", "number"], schema="billing"
    )
    op.drop_constraint("uq_payment_receipt_number", "payment", schema="billing")
    op.create_unique_constraint(
        op.f("uq_payment_estate_id_receipt_number"),
        "payment",
        ["estate_id", "receipt_number"],
        schema="billing",
    )


def downgrade() -> None:
    op.drop_constraint("uq_payment_estate_id_receipt_number", "payment", schema="billing")
    op.create_unique_constraint("uq_payment_receipt_number", "payment", ["receipt_number"], schema="billing")
    op.drop_constraint("uq_invoice_estate_id_number", "invoice", schema="billing")
    op.create_unique_constraint("uq_invoice_number", "invoice", ["number"], schema="billing")
    op.drop_table("number_counter", schema="billing")
