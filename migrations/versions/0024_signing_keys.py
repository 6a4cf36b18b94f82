"""The signing keys move into the database (issue 26): every worker on every host reads them, a
rotation publishes the next key before it signs, and no worker needs a restart
(broker/chain/keyring.py). The private halves are sealed under BROKER_KEY_ENCRYPTION_KEY.
signing-key.pem and retired-keys.json are imported on first use, with the same key IDs.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 03:05:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=True),
        sa.Column("published_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signs_from", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
    )


def downgrade():
    op.drop_table("signing_keys")
