"""Signed documents anyone can check at /verify (issue 27 item 1): the MR decision notice, with
its check code stored only as a SHA-256 lookup key.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 04:40:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signed_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("code_key", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("issued_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["claimant_id"], ["claimants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claimant_id", "kind", "subject"),
        sa.UniqueConstraint("code_key"),
    )
    with op.batch_alter_table("signed_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signed_documents_claimant_id"), ["claimant_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("signed_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_documents_claimant_id"))
    op.drop_table("signed_documents")
