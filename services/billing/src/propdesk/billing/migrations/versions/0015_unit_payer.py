"""the payer finance names for a unit (else its owner pays); a payment keeps who paid, for its receipt

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:50:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_payer",
        sa.Column("unit_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("resident_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("named_by", sa.String(length=100), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_unit_payer")),
        schema="billing",
    )
    op.add_column(
        "payment", sa.Column("payer_id", postgresql.UUID(as_uuid=True), nullable=True), schema="billing"
    )


def downgrade() -> None:
    op.drop_column("payment", "payer_id", schema="billing")
    op.drop_table("unit_payer", schema="billing")
