"""timer wake-ups carry the earliest due time (platform v2)

The timer worker used to query for the next due time on every statement that wrote a timer; now the
NOTIFY says when the new timers are due and the worker looks only if that is sooner than what it waits for.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:30:00
"""

from alembic import op

from propdesk.common.migrations import platform_v2, platform_v2_downgrade

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_v2(op, "intake")


def downgrade() -> None:
    platform_v2_downgrade(op, "intake")
