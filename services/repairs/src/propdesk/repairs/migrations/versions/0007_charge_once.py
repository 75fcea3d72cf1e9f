"""a work order's charge covers only what was not charged before (parts marked with their charge, labour
minutes already charged), so a reopened order is not billed twice

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "work_order",
        sa.Column("labour_charged_minutes", sa.Integer(), server_default="0", nullable=False),
        schema="repairs",
    )
    op.add_column("work_order_part", sa.Column("charge_id", postgresql.UUID(as_uuid=True)), schema="repairs")
    # orders charged before this migration: their parts and labour were billed
    op.execute(
        "UPDATE repairs.work_order SET labour_charged_minutes = labour_minutes WHERE charge_fen IS NOT NULL"
    )
    op.execute(
        "UPDATE repairs.work_order_part p SET charge_id = '00000000-0000-0000-0000-000000000000' "
        "FROM repairs.work_order w WHERE w.id = p.work_order_id AND w.charge_fen IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("work_order_part", "charge_id", schema="repairs")
    op.drop_column("work_order", "labour_charged_minutes", schema="repairs")
