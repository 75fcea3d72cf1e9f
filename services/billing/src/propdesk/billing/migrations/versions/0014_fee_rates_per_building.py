"""a fee item may apply to one building only (its rate there replaces the estate-wide one of the same code)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:20:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "fee_item", sa.Column("building_id", postgresql.UUID(as_uuid=True), nullable=True), schema="billing"
    )
    op.drop_constraint("uq_fee_item_estate_id_code_effective_from", "fee_item", schema="billing")
    op.execute("""
        CREATE UNIQUE INDEX uq_fee_item_scope ON billing.fee_item
        (estate_id, code, effective_from, coalesce(building_id, '00000000-0000-0000-0000-000000000000'::uuid))
    """)


def downgrade() -> None:
    op.drop_index("uq_fee_item_scope", table_name="fee_item", schema="billing")
    op.create_unique_constraint(
        "uq_fee_item_estate_id_code_effective_from",
        "fee_item",
        ["estate_id", "code", "effective_from"],
        schema="billing",
    )
    op.drop_column("fee_item", "building_id", schema="billing")
