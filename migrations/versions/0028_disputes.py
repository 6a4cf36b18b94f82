"""Disputes (issue 27 item 3): a claimant's "This wasn't right" on a line of their history, with
their words, whether it paused the grant, and staff's outcome.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 04:40:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "disputes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column(
            "event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("grant_id", sa.String(length=36), nullable=True),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("opened_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("closed_by_staff_id", sa.String(length=36), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["claimant_id"], ["claimants.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["audit_events.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"]),
        sa.ForeignKeyConstraint(["closed_by_staff_id"], ["staff_members.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_disputes_claimant_id", "disputes", ["claimant_id"])
    op.create_index("ix_disputes_closed_at", "disputes", ["closed_at"])
    op.create_index("ix_disputes_event", "disputes", ["event_id"])


def downgrade():
    op.drop_index("ix_disputes_event", table_name="disputes")
    op.drop_index("ix_disputes_closed_at", table_name="disputes")
    op.drop_index("ix_disputes_claimant_id", table_name="disputes")
    op.drop_table("disputes")
