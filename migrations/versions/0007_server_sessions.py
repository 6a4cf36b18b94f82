"""server-side sessions: sign-out, idle and absolute limits end a session everywhere its cookie
was copied (security.md 27)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("user_agent", sa.String(length=100), nullable=False),
        sa.Column("csrf_secret", sa.String(length=64), nullable=False),
        sa.Column("news_since", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("flashes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_account_id"), ["account_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_account_id"))
    op.drop_table("sessions")
