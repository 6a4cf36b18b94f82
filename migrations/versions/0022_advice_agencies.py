"""Advice agencies and their advisers (issue 25): an organisation's kind, regulator or quality
mark, adviser-code prefix and suspension; organisation admins and suspended advisers; grants
suspended by an agency; invitations, kept only as the hash of their link; and a request to move
a leaving adviser's consent to a colleague (a device authorization for one claimant).

Existing organisations become kind "other" with no mark (the broker's admin adds it) and no
prefix (derived from the name when first needed); existing advisers administer nothing.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 00:40:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=30), server_default="other", nullable=False)
        )
        batch_op.add_column(sa.Column("mark_scheme", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("mark_number", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("code_prefix", sa.String(length=6), nullable=True))
        batch_op.add_column(
            sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("suspended_at", broker.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("advisers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_org_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("suspended_at", broker.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_hold", sa.String(length=20), nullable=True))
    with op.batch_alter_table("device_authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("for_claimant_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("moves_grant_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_device_authorizations_for_claimant_id_claimants"),
            "claimants",
            ["for_claimant_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_device_authorizations_moves_grant_id_grants"),
            "grants",
            ["moves_grant_id"],
            ["id"],
        )
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=200), nullable=False),
        sa.Column("as_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("adviser_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["adviser_id"], ["advisers.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_organisation_id"), ["organisation_id"])


def downgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_organisation_id"))
    op.drop_table("invitations")
    with op.batch_alter_table("device_authorizations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_device_authorizations_moves_grant_id_grants"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_device_authorizations_for_claimant_id_claimants"), type_="foreignkey"
        )
        batch_op.drop_column("moves_grant_id")
        batch_op.drop_column("for_claimant_id")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("agency_hold")
    with op.batch_alter_table("advisers", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
        batch_op.drop_column("is_org_admin")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        for name in ("suspended_at", "created_at", "code_prefix", "mark_number", "mark_scheme"):
            batch_op.drop_column(name)
        batch_op.drop_column("kind")
