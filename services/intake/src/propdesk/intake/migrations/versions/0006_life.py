"""follow-ups, move-ins, renovations, violations, vacant units

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 17:23:18.618612
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS intake.renovation_number")
    op.execute("CREATE SEQUENCE IF NOT EXISTS intake.violation_number")
    op.create_table(
        "activity",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        schema="intake",
    )
    op.create_index("ix_activity_subject", "activity", ["subject_id", "id"], unique=False, schema="intake")
    op.create_table(
        "desk_policy",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("policy", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["intake.estate.id"], name=op.f("fk_desk_policy_estate_id_estate")
        ),
        sa.PrimaryKeyConstraint("estate_id", name=op.f("pk_desk_policy")),
        schema="intake",
    )
    op.create_table(
        "renovation",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=True),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("contractor_name", sa.String(length=200), nullable=False),
        sa.Column("contractor_phone", sa.String(length=20), nullable=False),
        sa.Column("contractor_licence", sa.String(length=64), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("workers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("conditions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("deposit_fen", sa.BigInteger(), nullable=False),
        sa.Column("deposit_state", sa.String(length=20), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("deductions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("refund_fen", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["intake.estate.id"], name=op.f("fk_renovation_estate_id_estate")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["intake.resident.id"], name=op.f("fk_renovation_resident_id_resident")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["intake.unit.id"], name=op.f("fk_renovation_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renovation")),
        sa.UniqueConstraint("reference", name=op.f("uq_renovation_reference")),
        schema="intake",
    )
    op.create_index(
        "ix_renovation_estate_state",
        "renovation",
        ["estate_id", "state", "created_at"],
        unique=False,
        schema="intake",
    )
    op.create_index(op.f("ix_renovation_unit_id"), "renovation", ["unit_id"], unique=False, schema="intake")
    op.create_table(
        "vacant_inspection",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inspector", sa.String(length=100), nullable=False),
        sa.Column("findings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("repair_request_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["intake.estate.id"], name=op.f("fk_vacant_inspection_estate_id_estate")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["intake.unit.id"], name=op.f("fk_vacant_inspection_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacant_inspection")),
        schema="intake",
    )
    op.create_index(
        "ix_vacant_inspection_unit",
        "vacant_inspection",
        ["unit_id", "inspected_at"],
        unique=False,
        schema="intake",
    )
    op.create_table(
        "follow_up",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=True),
        sa.Column("source_reference", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("unit_id", sa.UUID(), nullable=True),
        sa.Column("resident_id", sa.UUID(), nullable=True),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("max_attempts", sa.SmallInteger(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=10), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complaint_case_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["intake.staff.id"], name=op.f("fk_follow_up_assignee_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_case_id"], ["intake.case.id"], name=op.f("fk_follow_up_complaint_case_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["intake.estate.id"], name=op.f("fk_follow_up_estate_id_estate")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["intake.resident.id"], name=op.f("fk_follow_up_resident_id_resident")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["intake.unit.id"], name=op.f("fk_follow_up_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
        schema="intake",
    )
    op.create_index(
        "ix_follow_up_estate_created", "follow_up", ["estate_id", "created_at"], unique=False, schema="intake"
    )
    op.create_index(
        "ix_follow_up_estate_state_due",
        "follow_up",
        ["estate_id", "state", "due_at"],
        unique=False,
        schema="intake",
    )
    op.create_index(
        "uq_follow_up_source",
        "follow_up",
        ["source_kind", "source_id"],
        unique=True,
        schema="intake",
        postgresql_where=sa.text("source_id IS NOT NULL"),
    )
    op.create_table(
        "move_in",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("occupancy_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("handed_over_on", sa.Date(), nullable=False),
        sa.Column("checklist", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("meter_readings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("handled_by", sa.String(length=100), nullable=False),
        sa.Column("moved_out_on", sa.Date(), nullable=True),
        sa.Column("move_out_readings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("keys_returned", sa.Integer(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["intake.estate.id"], name=op.f("fk_move_in_estate_id_estate")
        ),
        sa.ForeignKeyConstraint(
            ["occupancy_id"], ["intake.occupancy.id"], name=op.f("fk_move_in_occupancy_id_occupancy")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["intake.resident.id"], name=op.f("fk_move_in_resident_id_resident")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["intake.unit.id"], name=op.f("fk_move_in_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_move_in")),
        schema="intake",
    )
    op.create_index(op.f("ix_move_in_resident_id"), "move_in", ["resident_id"], unique=False, schema="intake")
    op.create_index(op.f("ix_move_in_unit_id"), "move_in", ["unit_id"], unique=False, schema="intake")
    op.create_table(
        "renovation_inspection",
        sa.Column("renovation_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inspector_id", sa.UUID(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("photos", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("violation_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["intake.staff.id"], name=op.f("fk_renovation_inspection_inspector_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["renovation_id"],
            ["intake.renovation.id"],
            name=op.f("fk_renovation_inspection_renovation_id_renovation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renovation_inspection")),
        schema="intake",
    )
    op.create_index(
        op.f("ix_renovation_inspection_renovation_id"),
        "renovation_inspection",
        ["renovation_id"],
        unique=False,
        schema="intake",
    )
    op.create_table(
        "violation",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=True),
        sa.Column("place_id", sa.UUID(), nullable=True),
        sa.Column("resident_id", sa.UUID(), nullable=True),
        sa.Column("renovation_id", sa.UUID(), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice_count", sa.SmallInteger(), nullable=False),
        sa.Column("escalation_level", sa.SmallInteger(), nullable=False),
        sa.Column("reported_by", sa.String(length=100), nullable=False),
        sa.Column("rectified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fines_fen", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["intake.estate.id"], name=op.f("fk_violation_estate_id_estate")
        ),
        sa.ForeignKeyConstraint(["place_id"], ["intake.place.id"], name=op.f("fk_violation_place_id_place")),
        sa.ForeignKeyConstraint(
            ["renovation_id"], ["intake.renovation.id"], name=op.f("fk_violation_renovation_id_renovation")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["intake.resident.id"], name=op.f("fk_violation_resident_id_resident")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["intake.unit.id"], name=op.f("fk_violation_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation")),
        sa.UniqueConstraint("reference", name=op.f("uq_violation_reference")),
        schema="intake",
    )
    op.create_index(
        "ix_violation_estate_state",
        "violation",
        ["estate_id", "state", "created_at"],
        unique=False,
        schema="intake",
    )
    op.create_index(
        op.f("ix_violation_renovation_id"), "violation", ["renovation_id"], unique=False, schema="intake"
    )
    op.create_index(op.f("ix_violation_unit_id"), "violation", ["unit_id"], unique=False, schema="intake")
    op.create_table(
        "violation_fine",
        sa.Column("violation_id", sa.UUID(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("fined_by", sa.String(length=100), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["violation_id"], ["intake.violation.id"], name=op.f("fk_violation_fine_violation_id_violation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation_fine")),
        schema="intake",
    )
    op.create_index(
        op.f("ix_violation_fine_violation_id"),
        "violation_fine",
        ["violation_id"],
        unique=False,
        schema="intake",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_violation_fine_violation_id"), table_name="violation_fine", schema="intake")
    op.drop_table("violation_fine", schema="intake")
    op.drop_index(op.f("ix_violation_unit_id"), table_name="violation", schema="intake")
    op.drop_index(op.f("ix_violation_renovation_id"), table_name="violation", schema="intake")
    op.drop_index("ix_violation_estate_state", table_name="violation", schema="intake")
    op.drop_table("violation", schema="intake")
    op.drop_index(
        op.f("ix_renovation_inspection_renovation_id"), table_name="renovation_inspection", schema="intake"
    )
    op.drop_table("renovation_inspection", schema="intake")
    op.drop_index(op.f("ix_move_in_unit_id"), table_name="move_in", schema="intake")
    op.drop_index(op.f("ix_move_in_resident_id"), table_name="move_in", schema="intake")
    op.drop_table("move_in", schema="intake")
    op.drop_index(
        "uq_follow_up_source",
        table_name="follow_up",
        schema="intake",
        postgresql_where=sa.text("source_id IS NOT NULL"),
    )
    op.drop_index("ix_follow_up_estate_state_due", table_name="follow_up", schema="intake")
    op.drop_index("ix_follow_up_estate_created", table_name="follow_up", schema="intake")
    op.drop_table("follow_up", schema="intake")
    op.drop_index("ix_vacant_inspection_unit", table_name="vacant_inspection", schema="intake")
    op.drop_table("vacant_inspection", schema="intake")
    op.drop_index(op.f("ix_renovation_unit_id"), table_name="renovation", schema="intake")
    op.drop_index("ix_renovation_estate_state", table_name="renovation", schema="intake")
    op.drop_table("renovation", schema="intake")
    op.drop_table("desk_policy", schema="intake")
    op.drop_index("ix_activity_subject", table_name="activity", schema="intake")
    op.drop_table("activity", schema="intake")
    op.execute("DROP SEQUENCE IF EXISTS intake.violation_number")
    op.execute("DROP SEQUENCE IF EXISTS intake.renovation_number")
