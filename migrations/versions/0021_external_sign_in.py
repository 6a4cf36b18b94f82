"""Sign in with OpenID Connect (issue 25): GOV.UK One Login for claimants and the department's
provider for staff. Each provider identity is linked to one account; a claimant whose email
matched nobody links by a code sent to them; a provider's session ID is kept beside ours for
back-channel logout, and each logout token's jti until it expires, so none is used twice.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 00:40:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "external_identities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("linked_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "subject"),
    )
    with op.batch_alter_table("external_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_identities_account_id"), ["account_id"])
    op.create_table(
        "external_link_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["claimant_id"], ["claimants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("external_link_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_link_codes_claimant_id"), ["claimant_id"])
    op.create_table(
        "external_sessions",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("sid", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["session_hash"], ["sessions.id_hash"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_hash"),
    )
    with op.batch_alter_table("external_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_external_sessions_issuer_sid", ["issuer", "sid"])
    op.create_table(
        "logout_token_uses",
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti_hash"),
    )
    with op.batch_alter_table("logout_token_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_logout_token_uses_expires_at"), ["expires_at"])


def downgrade():
    op.drop_table("logout_token_uses")
    op.drop_table("external_sessions")
    op.drop_table("external_link_codes")
    op.drop_table("external_identities")
