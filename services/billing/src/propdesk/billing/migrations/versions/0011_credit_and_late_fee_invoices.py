"""credit applied to invoices and late fees billed as invoices: an allocation may come from the unit's credit
or be a waiver (no payment); the one-invoice-per-unit-and-period rule holds for periodic invoices, and a unit
has at most one open late-fee invoice per month

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:50:00
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("allocation", "payment_id", nullable=True, schema="billing")
    op.create_check_constraint(
        "kind",
        "allocation",
        "kind IN ('payment', 'write_off', 'credit', 'waiver') AND (payment_id IS NOT NULL) = (kind IN ('payment', 'write_off'))",
        schema="billing",
    )
    op.drop_index("uq_invoice_unit_period", table_name="invoice", schema="billing")
    op.execute("""
        CREATE UNIQUE INDEX uq_invoice_unit_period ON billing.invoice (unit_id, period)
        WHERE period IS NOT NULL AND source_kind = 'periodic'
    """)
    op.execute("""
        CREATE UNIQUE INDEX uq_invoice_late_fee_open ON billing.invoice (unit_id, period)
        WHERE source_kind = 'late_fee' AND state IN ('issued', 'partially_paid')
    """)


def downgrade() -> None:
    op.drop_index("uq_invoice_late_fee_open", table_name="invoice", schema="billing")
    op.drop_index("uq_invoice_unit_period", table_name="invoice", schema="billing")
    op.execute(
        "CREATE UNIQUE INDEX uq_invoice_unit_period ON billing.invoice (unit_id, period) WHERE period IS NOT NULL"
    )
    op.drop_constraint("ck_allocation_kind", "allocation", schema="billing")
    op.alter_column("allocation", "payment_id", nullable=False, schema="billing")
