"""The scheduled jobs' records (issue 26): each job's last start, last success and its duration,
and its last error, written by the scheduler (broker/scheduler.py) and read by /readyz.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 01:45:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_started_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade():
    op.drop_table("job_runs")
