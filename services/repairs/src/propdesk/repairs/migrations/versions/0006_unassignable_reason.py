"""work orders say why automatic dispatch found nobody (the dispatcher's board puts them on top)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("work_order", sa.Column("unassignable_reason", sa.String(500)), schema="repairs")


def downgrade() -> None:
    op.drop_column("work_order", "unassignable_reason", schema="repairs")
