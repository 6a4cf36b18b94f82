"""DPoP (RFC 9449): tokens bound to a client's key, clients that require it, and the proofs
seen (their jti, until they are too old to be accepted again).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 22:40:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_BOUND = ("access_tokens", "refresh_tokens", "authorization_codes")


def upgrade():
    for table in _BOUND:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("require_dpop", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    op.create_table(
        "dpop_proofs",
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti_hash"),
    )
    with op.batch_alter_table("dpop_proofs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dpop_proofs_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("dpop_proofs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dpop_proofs_expires_at"))
    op.drop_table("dpop_proofs")
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.drop_column("require_dpop")
    for table in reversed(_BOUND):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("dpop_jkt")
