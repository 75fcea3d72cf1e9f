"""the desk's repair request keeps the problem chosen from the repair taxonomy (an entrapment, a fire …)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "repair_request",
        sa.Column("problem", sa.String(length=32), server_default="other", nullable=False),
        schema="intake",
    )


def downgrade() -> None:
    op.drop_column("repair_request", "problem", schema="intake")
