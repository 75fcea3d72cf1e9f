"""write-offs on invoices and allocations; an index for the arrears view

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "invoice",
        sa.Column("written_off_fen", sa.BigInteger(), server_default="0", nullable=False),
        schema="billing",
    )
    op.add_column(
        "allocation",
        sa.Column("kind", sa.String(length=10), server_default="payment", nullable=False),
        schema="billing",
    )
    op.create_index(
        "ix_invoice_open_by_due",
        "invoice",
        ["estate_id", "due_on"],
        unique=False,
        schema="billing",
        postgresql_include=["unit_id", "total_fen", "paid_fen", "written_off_fen"],
        postgresql_where=sa.text("state IN ('issued', 'partially_paid')"),
    )


def downgrade() -> None:
    op.drop_index("ix_invoice_open_by_due", table_name="invoice", schema="billing")
    op.drop_column("allocation", "kind", schema="billing")
    op.drop_column("invoice", "written_off_fen", schema="billing")
