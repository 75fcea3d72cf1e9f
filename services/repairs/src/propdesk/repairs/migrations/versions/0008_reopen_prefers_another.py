"""a reopened work order remembers who did the work, so dispatch can try someone else first

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "work_order",
        sa.Column("last_technician_id", postgresql.UUID(as_uuid=True), nullable=True),
        schema="repairs",
    )


def downgrade() -> None:
    op.drop_column("work_order", "last_technician_id", schema="repairs")
