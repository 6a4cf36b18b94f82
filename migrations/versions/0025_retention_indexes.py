"""Retention (issue 26 item 7, broker/retention.py): indexes on the moments the largest tables'
rows run out, so each batch finds its rows without reading the whole table: access and refresh
tokens by expiry, sessions by sign-in, sign-in attempts by time.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 03:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_access_tokens_expires_at", "access_tokens", "expires_at"),
    ("ix_refresh_tokens_expires_at", "refresh_tokens", "expires_at"),
    ("ix_sessions_created_at", "sessions", "created_at"),
    ("ix_attempts_at", "attempts", "at"),
)


def upgrade():
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade():
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
