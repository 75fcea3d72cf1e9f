"""intake's duty roster, projected: staff alerts go to whoever is on duty

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duty_shift",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("staff_id", sa.UUID(), nullable=False),
        sa.Column("duty", sa.String(length=32), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shift")),
        schema="notify",
    )
    op.create_index(
        "ix_duty_shift_estate_duty_time",
        "duty_shift",
        ["estate_id", "duty", "ends_at"],
        unique=False,
        schema="notify",
    )


def downgrade() -> None:
    op.drop_index("ix_duty_shift_estate_duty_time", table_name="duty_shift", schema="notify")
    op.drop_table("duty_shift", schema="notify")
