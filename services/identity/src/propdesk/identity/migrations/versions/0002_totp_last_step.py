"""a TOTP code is accepted once: the last accepted time step is kept per account

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("totp_last_step", sa.BigInteger()), schema="identity")


def downgrade() -> None:
    op.drop_column("account", "totp_last_step", schema="identity")
