"""a playbook step can ask repairs for a work order, and completes when repairs completes it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:55:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name, kind in (
        ("work_order_request_id", postgresql.UUID(as_uuid=True)),
        ("work_order_id", postgresql.UUID(as_uuid=True)),
        ("work_order_reference", sa.String(length=32)),
    ):
        op.add_column("incident_step", sa.Column(name, kind, nullable=True), schema="incidents")
    op.create_index(
        "uq_incident_step_work_order_request",
        "incident_step",
        ["work_order_request_id"],
        unique=True,
        schema="incidents",
        postgresql_where=sa.text("work_order_request_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_incident_step_work_order_request", table_name="incident_step", schema="incidents")
    for name in ("work_order_reference", "work_order_id", "work_order_request_id"):
        op.drop_column("incident_step", name, schema="incidents")
