"""platform tables; estates and their onboarding state

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
S = "intake"


def upgrade() -> None:
    platform_v1(op, S)
    op.create_table(
        "estate",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("address", sa.String(500)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_estate"),
        sa.UniqueConstraint("code", name="uq_estate_code"),
        schema=S,
    )
    op.create_table(
        "estate_provisioning",
        sa.Column("estate_id", UUID(as_uuid=True), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("provisioned_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("estate_id", "service", name="pk_estate_provisioning"),
        sa.ForeignKeyConstraint(
            ["estate_id"], [f"{S}.estate.id"], name="fk_estate_provisioning_estate_id_estate"
        ),
        schema=S,
    )


def downgrade() -> None:
    op.execute(f'DROP SCHEMA "{S}" CASCADE')
