"""the service wakes its own relay and timer worker (platform v3)

Its own connections no longer NOTIFY on outbox and timer writes; it wakes its workers in process after the
commit. A NOTIFY serialised every notifying commit behind one lock held through the WAL flush.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 00:10:00
"""

from alembic import op

from propdesk.common.migrations import platform_v3, platform_v3_downgrade

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_v3(op, "billing")


def downgrade() -> None:
    platform_v3_downgrade(op, "billing")
