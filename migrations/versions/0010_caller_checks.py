"""caller checks: who says they are calling a claimant, and the code they read out (seed 002)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:50:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "caller_checks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column("caller_key", sa.String(length=300), nullable=False),
        sa.Column("caller_name", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("started_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shown_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("reported_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["claimant_id"], ["claimants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_caller_checks_claimant_caller",
        "caller_checks",
        ["claimant_id", "caller_key", "started_at"],
    )
    op.create_index("ix_caller_checks_open", "caller_checks", ["ended_at", "expires_at"])


def downgrade():
    op.drop_index("ix_caller_checks_open", table_name="caller_checks")
    op.drop_index("ix_caller_checks_claimant_caller", table_name="caller_checks")
    op.drop_table("caller_checks")
