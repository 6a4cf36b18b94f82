"""Passkeys (issue 17): WebAuthn credentials, the challenges issued for them, password sign-in
turned off per account, and each account's own sign-in security history.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 22:30:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "passkeys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("transports", sa.String(length=200), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_id"),
    )
    with op.batch_alter_table("passkeys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_passkeys_account_id"), ["account_id"])
    op.create_table(
        "passkey_challenges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("challenge_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.Column("expires_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_hash"),
    )
    with op.batch_alter_table("passkey_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_passkey_challenges_expires_at"), ["expires_at"])
    op.create_table(
        "password_sign_in_off",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("since", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "account_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_events_account_id"), ["account_id"])


def downgrade():
    op.drop_table("account_events")
    op.drop_table("password_sign_in_off")
    op.drop_table("passkey_challenges")
    op.drop_table("passkeys")
