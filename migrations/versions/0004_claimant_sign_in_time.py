"""claimant phone experience: when each account last signed in, for "new since you last signed in"

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 21:00:00

"""
from alembic import op
import sqlalchemy as sa

import broker.db


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_signed_in_at', broker.db.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('last_signed_in_at')
