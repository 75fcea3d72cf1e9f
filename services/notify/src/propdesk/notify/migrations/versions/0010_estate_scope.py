"""estate scope: templates and providers per estate (or the platform's), webhooks' personal data

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:40:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a template saved before estates had their own was the platform's (it applied to every estate)
    op.add_column(
        "template", sa.Column("estate_id", postgresql.UUID(as_uuid=True), nullable=True), schema="notify"
    )
    op.create_foreign_key(
        op.f("fk_template_estate_id_estate"),
        "template",
        "estate",
        ["estate_id"],
        ["id"],
        source_schema="notify",
        referent_schema="notify",
    )
    op.drop_constraint("uq_template_event_type_channel_language", "template", schema="notify")
    op.create_unique_constraint(
        op.f("uq_template_estate_id_event_type_channel_language"),
        "template",
        ["estate_id", "event_type", "channel", "language"],
        schema="notify",
        postgresql_nulls_not_distinct=True,
    )
    # a provider registered before was used for every estate: it stays the platform's
    op.add_column(
        "provider", sa.Column("estate_id", postgresql.UUID(as_uuid=True), nullable=True), schema="notify"
    )
    op.create_foreign_key(
        op.f("fk_provider_estate_id_estate"),
        "provider",
        "estate",
        ["estate_id"],
        ["id"],
        source_schema="notify",
        referent_schema="notify",
    )
    op.create_index(op.f("ix_provider_estate_id"), "provider", ["estate_id"], schema="notify")
    op.add_column(
        "webhook_subscription",
        sa.Column("personal_data", sa.Boolean(), server_default="false", nullable=False),
        schema="notify",
    )


def downgrade() -> None:
    op.drop_column("webhook_subscription", "personal_data", schema="notify")
    op.drop_index(op.f("ix_provider_estate_id"), "provider", schema="notify")
    op.drop_constraint(op.f("fk_provider_estate_id_estate"), "provider", schema="notify")
    op.drop_column("provider", "estate_id", schema="notify")
    op.drop_constraint(op.f("uq_template_estate_id_event_type_channel_language"), "template", schema="notify")
    op.drop_constraint(op.f("fk_template_estate_id_estate"), "template", schema="notify")
    op.drop_column("template", "estate_id", schema="notify")
    op.create_unique_constraint(
        "uq_template_event_type_channel_language",
        "template",
        ["event_type", "channel", "language"],
        schema="notify",
    )
