"""work orders, technicians, dispatch, preventive maintenance

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 17:39:11.484732
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS repairs.work_order_number")
    op.create_table(
        "building",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["repairs.estate.id"], name=op.f("fk_building_estate_id_estate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building")),
        schema="repairs",
    )
    op.create_index(op.f("ix_building_estate_id"), "building", ["estate_id"], unique=False, schema="repairs")
    op.create_table(
        "estate_settings",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("labour_rate_fen_per_hour", sa.Integer(), nullable=False),
        sa.Column("duplicate_window_minutes", sa.Integer(), nullable=False),
        sa.Column("auto_close_days", sa.Integer(), nullable=False),
        sa.Column("auto_dispatch", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["repairs.estate.id"], name=op.f("fk_estate_settings_estate_id_estate")
        ),
        sa.PrimaryKeyConstraint("estate_id", name=op.f("pk_estate_settings")),
        schema="repairs",
    )
    op.create_table(
        "maintenance_schedule",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("place_id", sa.UUID(), nullable=True),
        sa.Column("building_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=False),
        sa.Column("lead_days", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_due_on", sa.Date(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["repairs.estate.id"], name=op.f("fk_maintenance_schedule_estate_id_estate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_schedule")),
        schema="repairs",
    )
    op.create_index(
        op.f("ix_maintenance_schedule_estate_id"),
        "maintenance_schedule",
        ["estate_id"],
        unique=False,
        schema="repairs",
    )
    op.create_table(
        "place",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("building_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("floor", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["estate_id"], ["repairs.estate.id"], name=op.f("fk_place_estate_id_estate")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place")),
        schema="repairs",
    )
    op.create_index(op.f("ix_place_estate_id"), "place", ["estate_id"], unique=False, schema="repairs")
    op.create_table(
        "price_item",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["repairs.estate.id"], name=op.f("fk_price_item_estate_id_estate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_item")),
        sa.UniqueConstraint("estate_id", "code", name=op.f("uq_price_item_estate_id_code")),
        schema="repairs",
    )
    op.create_index(
        op.f("ix_price_item_estate_id"), "price_item", ["estate_id"], unique=False, schema="repairs"
    )
    op.create_table(
        "technician",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("skills", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("certificates", sa.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("home_building_id", sa.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["repairs.estate.id"], name=op.f("fk_technician_estate_id_estate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_technician")),
        schema="repairs",
    )
    op.create_index(
        op.f("ix_technician_estate_id"), "technician", ["estate_id"], unique=False, schema="repairs"
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("building_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("floor", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["estate_id"], ["repairs.estate.id"], name=op.f("fk_unit_estate_id_estate")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        schema="repairs",
    )
    op.create_index(op.f("ix_unit_estate_id"), "unit", ["estate_id"], unique=False, schema="repairs")
    op.create_table(
        "shift",
        sa.Column("technician_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("starts", sa.Time(), nullable=True),
        sa.Column("ends", sa.Time(), nullable=True),
        sa.Column("from_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("to_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["technician_id"], ["repairs.technician.id"], name=op.f("fk_shift_technician_id_technician")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift")),
        schema="repairs",
    )
    op.create_index("ix_shift_technician", "shift", ["technician_id"], unique=False, schema="repairs")
    op.create_table(
        "work_order",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=True),
        sa.Column("unit_id", sa.UUID(), nullable=True),
        sa.Column("place_id", sa.UUID(), nullable=True),
        sa.Column("building_id", sa.UUID(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("problem", sa.String(length=32), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("payable", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("photos", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("preferred_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("preferred_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reporter_resident_id", sa.UUID(), nullable=True),
        sa.Column("reporter_name", sa.String(length=100), nullable=False),
        sa.Column("reporter_phone", sa.String(length=32), nullable=True),
        sa.Column("reporter_language", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("paused_from", sa.String(length=16), nullable=True),
        sa.Column("pause_reason", sa.String(length=20), nullable=True),
        sa.Column("technician_id", sa.UUID(), nullable=True),
        sa.Column("declined_by", sa.ARRAY(sa.UUID()), nullable=False),
        sa.Column("clocks", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("reopen_count", sa.SmallInteger(), nullable=False),
        sa.Column("labour_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("completion_photos", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("charge_fen", sa.BigInteger(), nullable=True),
        sa.Column("schedule_id", sa.UUID(), nullable=True),
        sa.Column("scheduled_for", sa.Date(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["repairs.estate.id"], name=op.f("fk_work_order_estate_id_estate")
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"], ["repairs.technician.id"], name=op.f("fk_work_order_technician_id_technician")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order")),
        sa.UniqueConstraint("reference", name=op.f("uq_work_order_reference")),
        schema="repairs",
    )
    op.create_index(
        "ix_work_order_estate_state_due",
        "work_order",
        ["estate_id", "state", "next_due_at"],
        unique=False,
        schema="repairs",
    )
    op.create_index(
        "ix_work_order_place_category_open",
        "work_order",
        ["place_id", "category"],
        unique=False,
        schema="repairs",
        postgresql_where=sa.text("open"),
    )
    op.create_index(
        "ix_work_order_technician_state",
        "work_order",
        ["technician_id", "state"],
        unique=False,
        schema="repairs",
    )
    op.create_index(
        "ix_work_order_unit", "work_order", ["unit_id", "created_at"], unique=False, schema="repairs"
    )
    op.create_index(
        "uq_work_order_request",
        "work_order",
        ["request_id"],
        unique=True,
        schema="repairs",
        postgresql_where=sa.text("request_id IS NOT NULL"),
    )
    op.create_index(
        "uq_work_order_schedule_due",
        "work_order",
        ["schedule_id", "scheduled_for"],
        unique=True,
        schema="repairs",
        postgresql_where=sa.text("schedule_id IS NOT NULL"),
    )
    op.create_table(
        "work_order_entry",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("work_order_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["repairs.work_order.id"],
            name=op.f("fk_work_order_entry_work_order_id_work_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_entry")),
        schema="repairs",
    )
    op.create_index(
        op.f("ix_work_order_entry_work_order_id"),
        "work_order_entry",
        ["work_order_id"],
        unique=False,
        schema="repairs",
    )
    op.create_table(
        "work_order_part",
        sa.Column("work_order_id", sa.UUID(), nullable=False),
        sa.Column("price_item_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("unit_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_item_id"],
            ["repairs.price_item.id"],
            name=op.f("fk_work_order_part_price_item_id_price_item"),
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["repairs.work_order.id"],
            name=op.f("fk_work_order_part_work_order_id_work_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_part")),
        schema="repairs",
    )
    op.create_index(
        op.f("ix_work_order_part_work_order_id"),
        "work_order_part",
        ["work_order_id"],
        unique=False,
        schema="repairs",
    )
    op.create_table(
        "work_order_reporter",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("work_order_id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["repairs.work_order.id"],
            name=op.f("fk_work_order_reporter_work_order_id_work_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_reporter")),
        schema="repairs",
    )
    op.create_index(
        op.f("ix_work_order_reporter_resident_id"),
        "work_order_reporter",
        ["resident_id"],
        unique=False,
        schema="repairs",
    )
    op.create_index(
        op.f("ix_work_order_reporter_work_order_id"),
        "work_order_reporter",
        ["work_order_id"],
        unique=False,
        schema="repairs",
    )
    op.add_column("sla_target", sa.Column("category", sa.String(length=32), nullable=True), schema="repairs")
    op.drop_constraint(
        op.f("uq_sla_target_estate_id_urgency_milestone"), "sla_target", schema="repairs", type_="unique"
    )
    op.create_unique_constraint(
        op.f("uq_sla_target_estate_id_urgency_milestone_category"),
        "sla_target",
        ["estate_id", "urgency", "milestone", "category"],
        schema="repairs",
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("uq_sla_target_estate_id_urgency_milestone_category"),
        "sla_target",
        schema="repairs",
        type_="unique",
    )
    op.create_unique_constraint(
        op.f("uq_sla_target_estate_id_urgency_milestone"),
        "sla_target",
        ["estate_id", "urgency", "milestone"],
        schema="repairs",
        postgresql_nulls_not_distinct=False,
    )
    op.drop_column("sla_target", "category", schema="repairs")
    op.drop_index(
        op.f("ix_work_order_reporter_work_order_id"), table_name="work_order_reporter", schema="repairs"
    )
    op.drop_index(
        op.f("ix_work_order_reporter_resident_id"), table_name="work_order_reporter", schema="repairs"
    )
    op.drop_table("work_order_reporter", schema="repairs")
    op.drop_index(op.f("ix_work_order_part_work_order_id"), table_name="work_order_part", schema="repairs")
    op.drop_table("work_order_part", schema="repairs")
    op.drop_index(op.f("ix_work_order_entry_work_order_id"), table_name="work_order_entry", schema="repairs")
    op.drop_table("work_order_entry", schema="repairs")
    op.drop_index(
        "uq_work_order_schedule_due",
        table_name="work_order",
        schema="repairs",
        postgresql_where=sa.text("schedule_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_work_order_request",
        table_name="work_order",
        schema="repairs",
        postgresql_where=sa.text("request_id IS NOT NULL"),
    )
    op.drop_index("ix_work_order_unit", table_name="work_order", schema="repairs")
    op.drop_index("ix_work_order_technician_state", table_name="work_order", schema="repairs")
    op.drop_index(
        "ix_work_order_place_category_open",
        table_name="work_order",
        schema="repairs",
        postgresql_where=sa.text("open"),
    )
    op.drop_index("ix_work_order_estate_state_due", table_name="work_order", schema="repairs")
    op.drop_table("work_order", schema="repairs")
    op.drop_index("ix_shift_technician", table_name="shift", schema="repairs")
    op.drop_table("shift", schema="repairs")
    op.drop_index(op.f("ix_unit_estate_id"), table_name="unit", schema="repairs")
    op.drop_table("unit", schema="repairs")
    op.drop_index(op.f("ix_technician_estate_id"), table_name="technician", schema="repairs")
    op.drop_table("technician", schema="repairs")
    op.drop_index(op.f("ix_price_item_estate_id"), table_name="price_item", schema="repairs")
    op.drop_table("price_item", schema="repairs")
    op.drop_index(op.f("ix_place_estate_id"), table_name="place", schema="repairs")
    op.drop_table("place", schema="repairs")
    op.drop_index(
        op.f("ix_maintenance_schedule_estate_id"), table_name="maintenance_schedule", schema="repairs"
    )
    op.drop_table("maintenance_schedule", schema="repairs")
    op.drop_table("estate_settings", schema="repairs")
    op.drop_index(op.f("ix_building_estate_id"), table_name="building", schema="repairs")
    op.drop_table("building", schema="repairs")
    op.execute("DROP SEQUENCE IF EXISTS repairs.work_order_number")
