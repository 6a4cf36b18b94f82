"""checkpoint tree: leaves at fixed places, every node of the Merkle tree kept, each leaf as each
checkpoint signed it, and the heads a checkpoint has not sealed yet found by a partial index

The actor commitments changed (per-actor keys, broker/proof/statements.py), so the leaves kept for the
old scheme are dropped: the next checkpoint rebuilds the tree from every chain (run
`consent-broker checkpoint --force` right after upgrading).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_heads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sealed_seq", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            "ix_audit_heads_unsealed",
            ["claimant_id"],
            unique=False,
            postgresql_where=sa.text("seq <> sealed_seq"),
            sqlite_where=sa.text("seq <> sealed_seq"),
        )
    op.execute("DELETE FROM checkpoint_leaves")
    with op.batch_alter_table("checkpoint_leaves", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idx", sa.BigInteger(), nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_checkpoint_leaves_idx"), ["idx"])
    op.create_table(
        "checkpoint_leaf_versions",
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column("checkpoint_seq", sa.Integer(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tag_head", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("claimant_id", "checkpoint_seq"),
    )
    op.create_table(
        "checkpoint_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )


def downgrade():
    op.drop_table("checkpoint_nodes")
    op.drop_table("checkpoint_leaf_versions")
    op.execute("DELETE FROM checkpoint_leaves")
    with op.batch_alter_table("checkpoint_leaves", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_checkpoint_leaves_idx"), type_="unique")
        batch_op.drop_column("idx")
    with op.batch_alter_table("audit_heads", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_heads_unsealed")
        batch_op.drop_column("sealed_seq")
