"""staff side: who suspended a grant, outbox retries, staff API keys, job locks, sweep indexes

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23 20:00:00

"""
import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_by_staff_id', sa.String(length=36), nullable=True))
        batch_op.create_foreign_key('fk_grants_suspended_by_staff_id', 'staff_members',
                                    ['suspended_by_staff_id'], ['id'])
        batch_op.create_index('ix_grants_status_ends_at', ['status', 'ends_at'], unique=False)
        batch_op.create_index('ix_grants_status_review_at', ['status', 'review_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.create_index('ix_outbox_unsent', ['sent_at', 'created_at'], unique=False)

    op.create_table('staff_api_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', broker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', broker.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    op.create_table('job_locks',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('expires_at', broker.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade():
    op.drop_table('job_locks')
    op.drop_table('staff_api_keys')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unsent')
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index('ix_grants_status_review_at')
        batch_op.drop_index('ix_grants_status_ends_at')
        batch_op.drop_constraint('fk_grants_suspended_by_staff_id', type_='foreignkey')
        batch_op.drop_column('suspended_by_staff_id')
