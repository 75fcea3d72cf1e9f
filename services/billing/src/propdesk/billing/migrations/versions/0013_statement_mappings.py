"""bank statement column mappings saved per estate

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_mapping",
        sa.Column("estate_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("columns", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("estate_id", "name", name=op.f("pk_statement_mapping")),
        schema="billing",
    )


def downgrade() -> None:
    op.drop_table("statement_mapping", schema="billing")
