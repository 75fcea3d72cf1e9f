"""projection of intake's places: an incident reported at a place knows its building (and floor)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "place",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("estate_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("building_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("floor", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place")),
        schema="incidents",
    )
    op.create_index(op.f("ix_place_estate_id"), "place", ["estate_id"], unique=False, schema="incidents")


def downgrade() -> None:
    op.drop_index(op.f("ix_place_estate_id"), table_name="place", schema="incidents")
    op.drop_table("place", schema="incidents")
