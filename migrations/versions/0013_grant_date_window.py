"""A date window on a grant: only entries from (and until) a UK day are visible (issue 16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:55:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("date_to", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("date_to")
        batch_op.drop_column("date_from")
