"""platform tables (v1-v3); accounts, sessions, signing keys, sign-in codes, throttles, audit; projections of
intake's estates, people and occupancies

Revision ID: 0001
Revises:
Create Date: 2026-12-03 12:13:02.723536
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from propdesk.common.migrations import platform_v1, platform_v2, platform_v3

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_v1(op, "identity")
    platform_v2(op, "identity")
    platform_v3(op, "identity")
    op.create_table(
        "account",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=True),
        sa.Column("estate_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("totp_sealed", sa.Text(), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("recovery_hashes", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_reason", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("login", name=op.f("uq_account_login")),
        sa.UniqueConstraint("person_id", name=op.f("uq_account_person_id")),
        schema="identity",
    )
    op.create_index(op.f("ix_account_estate_id"), "account", ["estate_id"], unique=False, schema="identity")
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=True),
        sa.Column("estate_id", sa.UUID(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
        schema="identity",
    )
    op.create_index(
        op.f("ix_audit_entry_account_id"), "audit_entry", ["account_id"], unique=False, schema="identity"
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"], unique=False, schema="identity")
    op.create_index(
        op.f("ix_audit_entry_estate_id"), "audit_entry", ["estate_id"], unique=False, schema="identity"
    )
    op.create_table(
        "estate",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estate")),
        schema="identity",
    )
    op.create_table(
        "handoff",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_handoff")),
        schema="identity",
    )
    op.create_table(
        "occupancy",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occupancy")),
        schema="identity",
    )
    op.create_index(
        op.f("ix_occupancy_resident_id"), "occupancy", ["resident_id"], unique=False, schema="identity"
    )
    op.create_table(
        "oidc_login",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("verifier_sealed", sa.Text(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("return_to", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_oidc_login")),
        schema="identity",
    )
    op.create_table(
        "person",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("estate_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        schema="identity",
    )
    op.create_index(op.f("ix_person_estate_id"), "person", ["estate_id"], unique=False, schema="identity")
    op.create_index(op.f("ix_person_phone"), "person", ["phone"], unique=False, schema="identity")
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("family_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("device", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
        schema="identity",
    )
    op.create_index(
        op.f("ix_refresh_token_account_id"), "refresh_token", ["account_id"], unique=False, schema="identity"
    )
    op.create_index(
        op.f("ix_refresh_token_family_id"), "refresh_token", ["family_id"], unique=False, schema="identity"
    )
    op.create_table(
        "sign_in_code",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_code")),
        schema="identity",
    )
    op.create_index(op.f("ix_sign_in_code_phone"), "sign_in_code", ["phone"], unique=False, schema="identity")
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_sealed", sa.Text(), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_key")),
        schema="identity",
    )
    op.create_table(
        "throttle",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle")),
        schema="identity",
    )


def downgrade() -> None:
    op.drop_table("throttle", schema="identity")
    op.drop_table("signing_key", schema="identity")
    op.drop_index(op.f("ix_sign_in_code_phone"), table_name="sign_in_code", schema="identity")
    op.drop_table("sign_in_code", schema="identity")
    op.drop_index(op.f("ix_refresh_token_family_id"), table_name="refresh_token", schema="identity")
    op.drop_index(op.f("ix_refresh_token_account_id"), table_name="refresh_token", schema="identity")
    op.drop_table("refresh_token", schema="identity")
    op.drop_index(op.f("ix_person_phone"), table_name="person", schema="identity")
    op.drop_index(op.f("ix_person_estate_id"), table_name="person", schema="identity")
    op.drop_table("person", schema="identity")
    op.drop_table("oidc_login", schema="identity")
    op.drop_index(op.f("ix_occupancy_resident_id"), table_name="occupancy", schema="identity")
    op.drop_table("occupancy", schema="identity")
    op.drop_table("handoff", schema="identity")
    op.drop_table("estate", schema="identity")
    op.drop_index(op.f("ix_audit_entry_estate_id"), table_name="audit_entry", schema="identity")
    op.drop_index(op.f("ix_audit_entry_at"), table_name="audit_entry", schema="identity")
    op.drop_index(op.f("ix_audit_entry_account_id"), table_name="audit_entry", schema="identity")
    op.drop_table("audit_entry", schema="identity")
    op.drop_index(op.f("ix_account_estate_id"), table_name="account", schema="identity")
    op.drop_table("account", schema="identity")
