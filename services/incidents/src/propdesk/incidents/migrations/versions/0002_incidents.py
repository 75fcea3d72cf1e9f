"""playbooks and incidents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 18:22:49.486608
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS incidents.incident_number")
    op.create_table(
        "estate_playbook",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["incidents.estate.id"], name=op.f("fk_estate_playbook_estate_id_estate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estate_playbook")),
        sa.UniqueConstraint(
            "estate_id", "key", "version", name=op.f("uq_estate_playbook_estate_id_key_version")
        ),
        schema="incidents",
    )
    op.create_table(
        "incident",
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("playbook_key", sa.String(length=40), nullable=False),
        sa.Column("playbook_version", sa.Integer(), nullable=False),
        sa.Column("playbook", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("building_id", sa.UUID(), nullable=True),
        sa.Column("place_id", sa.UUID(), nullable=True),
        sa.Column("unit_id", sa.UUID(), nullable=True),
        sa.Column("floors", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("triggered_by", sa.String(length=100), nullable=False),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("stabilised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["incidents.estate.id"], name=op.f("fk_incident_estate_id_estate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("reference", name=op.f("uq_incident_reference")),
        schema="incidents",
    )
    op.create_index(
        "ix_incident_estate_active",
        "incident",
        ["estate_id", "playbook_key"],
        unique=False,
        schema="incidents",
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "incident_entry",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.incident.id"], name=op.f("fk_incident_entry_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_entry")),
        schema="incidents",
    )
    op.create_index(
        op.f("ix_incident_entry_incident_id"),
        "incident_entry",
        ["incident_id"],
        unique=False,
        schema="incidents",
    )
    op.create_table(
        "incident_party",
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_by", sa.String(length=100), nullable=False),
        sa.Column("promised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.incident.id"], name=op.f("fk_incident_party_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_party")),
        schema="incidents",
    )
    op.create_index(
        op.f("ix_incident_party_incident_id"),
        "incident_party",
        ["incident_id"],
        unique=False,
        schema="incidents",
    )
    op.create_table(
        "incident_step",
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("escalation_level", sa.SmallInteger(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.incident.id"], name=op.f("fk_incident_step_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_step")),
        sa.UniqueConstraint("incident_id", "key", name=op.f("uq_incident_step_incident_id_key")),
        schema="incidents",
    )
    op.create_index(
        op.f("ix_incident_step_incident_id"),
        "incident_step",
        ["incident_id"],
        unique=False,
        schema="incidents",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_step_incident_id"), table_name="incident_step", schema="incidents")
    op.drop_table("incident_step", schema="incidents")
    op.drop_index(op.f("ix_incident_party_incident_id"), table_name="incident_party", schema="incidents")
    op.drop_table("incident_party", schema="incidents")
    op.drop_index(op.f("ix_incident_entry_incident_id"), table_name="incident_entry", schema="incidents")
    op.drop_table("incident_entry", schema="incidents")
    op.drop_index(
        "ix_incident_estate_active",
        table_name="incident",
        schema="incidents",
        postgresql_where=sa.text("active"),
    )
    op.drop_table("incident", schema="incidents")
    op.drop_table("estate_playbook", schema="incidents")
    op.execute("DROP SEQUENCE IF EXISTS incidents.incident_number")
