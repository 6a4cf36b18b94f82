"""contact preferences and deliveries: each outbox message on each channel the claimant chose,
with when it was sent, delivered and opened (issue 15)

Messages queued before this migration get the deliveries they would have had with the default
preferences: a claimant's is filed in their letters inbox, and one still unsent waits for email.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:00:00

"""
import uuid

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_preferences',
    sa.Column('claimant_id', sa.String(length=36), nullable=False),
    sa.Column('reminders', sa.String(length=60), nullable=False),
    sa.Column('access_notices', sa.String(length=60), nullable=False),
    sa.Column('letters', sa.String(length=60), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=True),
    sa.Column('updated_at', broker.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claimant_id'], ['claimants.id'], ),
    sa.PrimaryKeyConstraint('claimant_id')
    )
    op.create_table('deliveries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('created_at', broker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', broker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', broker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', broker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('opened_at', broker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('provider_reference', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['outbox.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id', 'channel')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_message_id', ['message_id'], unique=False)
        batch_op.create_index('ix_deliveries_provider_reference', ['provider_reference'], unique=False)
        batch_op.create_index('ix_deliveries_queued', ['status', 'created_at'], unique=False)
    _file_earlier_messages()


def _file_earlier_messages():
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT o.id, o.created_at, o.sent_at, o.attempts, o.last_error, a.role, a.username,"
        " a.language FROM outbox o JOIN accounts a ON a.id = o.account_id"
    )).all()
    deliveries = sa.table(
        'deliveries', *(sa.column(name) for name in (
            'id', 'message_id', 'channel', 'status', 'address', 'language', 'created_at',
            'attempts', 'sent_at', 'delivered_at', 'last_error'))
    )
    values = []
    for ident, created, sent, attempts, error, role, username, language in rows:
        if role == 'claimant':
            values.append({
                'id': str(uuid.uuid4()), 'message_id': ident, 'channel': 'inbox',
                'status': 'delivered', 'address': '', 'language': language or 'en',
                'created_at': created, 'attempts': 0, 'sent_at': created,
                'delivered_at': created, 'last_error': None,
            })
        values.append({
            'id': str(uuid.uuid4()), 'message_id': ident, 'channel': 'email',
            'status': 'sent' if sent else 'queued', 'address': username,
            'language': language or 'en', 'created_at': created, 'attempts': attempts or 0,
            'sent_at': sent, 'delivered_at': None, 'last_error': error,
        })
    if values:
        op.bulk_insert(deliveries, values)


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_queued')
        batch_op.drop_index('ix_deliveries_provider_reference')
        batch_op.drop_index('ix_deliveries_message_id')
    op.drop_table('deliveries')
    op.drop_table('contact_preferences')
