"""an index for technicians' current load

Dispatch counts each technician's busy orders on every report; the estate/state index made that read every
busy order's row from the table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 22:12:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_work_order_busy_load",
        "work_order",
        ["estate_id", "technician_id"],
        unique=False,
        schema="repairs",
        postgresql_where=sa.text("state IN ('assigned', 'accepted', 'en_route', 'on_site', 'paused')"),
    )


def downgrade() -> None:
    op.drop_index("ix_work_order_busy_load", table_name="work_order", schema="repairs")
