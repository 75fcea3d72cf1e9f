"""a work order an incident's playbook step asked for knows its incident (the incident's closing is heard)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 19:50:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "work_order", sa.Column("incident_id", postgresql.UUID(as_uuid=True), nullable=True), schema="repairs"
    )
    op.create_index(
        "ix_work_order_incident",
        "work_order",
        ["incident_id"],
        schema="repairs",
        postgresql_where=sa.text("incident_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_work_order_incident", table_name="work_order", schema="repairs")
    op.drop_column("work_order", "incident_id", schema="repairs")
