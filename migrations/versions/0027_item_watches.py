"""Watches on to-dos and payments (issue 27 item 5): an adviser or a case system is told when a
to-do is due within 3 days or overdue, or a payment is lower than the last or missing on its
expected day; each event once (item_notices' unique key).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 04:30:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_LIVE = sa.text("ended_at IS NULL")


def upgrade():
    op.create_table(
        "item_watches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=10), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["claimant_id"], ["claimants.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("item_watches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_watches_claimant_id"), ["claimant_id"])
        batch_op.create_index(batch_op.f("ix_item_watches_grant_id"), ["grant_id"])
        batch_op.create_index(
            "uq_item_watches_live",
            ["grant_id", "client_id", "topic"],
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        )
    op.create_table(
        "item_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("watch_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dated", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("adviser_id", sa.String(length=36), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["adviser_id"], ["advisers.id"]),
        sa.ForeignKeyConstraint(["watch_id"], ["item_watches.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("watch_id", "item_id", "kind", name="uq_item_notices_watch_item_kind"),
    )
    with op.batch_alter_table("item_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_notices_adviser_id"), ["adviser_id"])
        batch_op.create_index(batch_op.f("ix_item_notices_watch_id"), ["watch_id"])
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_notice_id", sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(
            "uq_push_deliveries_item_notice_id", ["item_notice_id"]
        )


def downgrade():
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_push_deliveries_item_notice_id", type_="unique")
        batch_op.drop_column("item_notice_id")
    op.drop_table("item_notices")
    op.drop_table("item_watches")
