"""The two-way caller check (issue 27 item 4): the second code the claimant reads to the caller,
how many wrong codes the caller has typed, and when the claimant confirmed it was them. Checks
started before this have no second code, so they cannot be confirmed.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 04:20:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("caller_checks") as batch:
        batch.add_column(sa.Column("answer_code", sa.String(length=4), nullable=True))
        batch.add_column(
            sa.Column("wrong_answers", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("confirmed_at", broker.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("caller_checks") as batch:
        batch.drop_column("confirmed_at")
        batch.drop_column("wrong_answers")
        batch.drop_column("answer_code")
