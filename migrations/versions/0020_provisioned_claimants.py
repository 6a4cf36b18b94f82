"""Claimants provisioned by DWP's systems (issue 25): the mobile number those systems gave, used
for messages until the claimant chooses their own.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 00:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claimants") as batch_op:
        batch_op.add_column(sa.Column("mobile", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("claimants") as batch_op:
        batch_op.drop_column("mobile")
