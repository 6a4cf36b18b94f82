"""Check with me before they send anything: an adviser's MR request waits as a draft (issue 16)

grants.check_before_send is the claimant's setting (off for every existing grant, so nothing
changes for them); mr_drafts holds each draft until the claimant sends it, declines it, or it
expires.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 20:50:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "check_before_send", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )
    op.create_table(
        "mr_drafts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("token_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("decision_about", sa.String(length=150), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("told_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["claimant_id"], ["claimants.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mr_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mr_drafts_claimant_id"), ["claimant_id"])
        batch_op.create_index(batch_op.f("ix_mr_drafts_grant_id"), ["grant_id"])
        batch_op.create_index("ix_mr_drafts_status_expires", ["status", "expires_at"])


def downgrade():
    op.drop_table("mr_drafts")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("check_before_send")
