"""a case links to the call it came from and may name the employee complained about

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case", sa.Column("call_id", postgresql.UUID(as_uuid=True), nullable=True), schema="intake")
    op.add_column(
        "case", sa.Column("employee_id", postgresql.UUID(as_uuid=True), nullable=True), schema="intake"
    )
    op.create_foreign_key(
        op.f("fk_case_call_id_call"),
        "case",
        "call",
        ["call_id"],
        ["id"],
        source_schema="intake",
        referent_schema="intake",
    )
    op.create_foreign_key(
        op.f("fk_case_employee_id_staff"),
        "case",
        "staff",
        ["employee_id"],
        ["id"],
        source_schema="intake",
        referent_schema="intake",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_case_employee_id_staff"), "case", schema="intake", type_="foreignkey")
    op.drop_constraint(op.f("fk_case_call_id_call"), "case", schema="intake", type_="foreignkey")
    op.drop_column("case", "employee_id", schema="intake")
    op.drop_column("case", "call_id", schema="intake")
