"""platform tables; estate projection; response_target

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from propdesk.common.migrations import platform_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
S = "incidents"


def upgrade() -> None:
    platform_v1(op, S)
    op.create_table(
        "estate",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_estate"),
        schema=S,
    )
    op.create_table(
        "response_target",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("estate_id", UUID(as_uuid=True), nullable=False),
        sa.Column("incident_kind", sa.String(32), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("target_minutes", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_response_target"),
        sa.ForeignKeyConstraint(
            ["estate_id"], [f"{S}.estate.id"], name="fk_response_target_estate_id_estate"
        ),
        sa.UniqueConstraint(
            "estate_id", "incident_kind", "step", name="uq_response_target_estate_id_incident_kind_step"
        ),
        schema=S,
    )


def downgrade() -> None:
    op.execute(f'DROP SCHEMA "{S}" CASCADE')
