"""MR decision watch: an adviser or a case system is told when a decision arrives (issue 15)

Watches belong to a grant and name the token that set them; each decision told under a watch is
a notice (a read of the decision); a case system's notice is a Security Event Token pushed to the
endpoint its client registered (oauth_clients.push_endpoint). Advisers choose how they are told
(advisers.tell_by).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:45:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_LIVE = sa.text("ended_at IS NULL")


def upgrade():
    with op.batch_alter_table("advisers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tell_by", sa.String(length=10), server_default="email", nullable=False)
        )
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_endpoint", sa.Text(), nullable=True))
    op.create_table(
        "mr_decision_watches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["claimant_id"], ["claimants.id"]
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"]
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mr_decision_watches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mr_decision_watches_claimant_id"), ["claimant_id"])
        batch_op.create_index(batch_op.f("ix_mr_decision_watches_grant_id"), ["grant_id"])
        batch_op.create_index(
            "uq_mr_decision_watches_live",
            ["grant_id", "client_id"],
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        )
    op.create_table(
        "mr_decision_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("watch_id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("adviser_id", sa.String(length=36), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["adviser_id"], ["advisers.id"]
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["mr_decisions.id"]
        ),
        sa.ForeignKeyConstraint(
            ["watch_id"],
            ["mr_decision_watches.id"]
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "watch_id", "decision_id", name="uq_mr_decision_notices_watch_decision"
        ),
    )
    with op.batch_alter_table("mr_decision_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mr_decision_notices_adviser_id"), ["adviser_id"])
        batch_op.create_index(batch_op.f("ix_mr_decision_notices_watch_id"), ["watch_id"])
    op.create_table(
        "push_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("notice_id", sa.String(length=36), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("given_up_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["mr_decision_notices.id"]
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id"),
    )
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_push_deliveries_due", ["delivered_at", "next_attempt_at"], unique=False
        )


def downgrade():
    op.drop_table("push_deliveries")
    op.drop_table("mr_decision_notices")
    op.drop_table("mr_decision_watches")
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.drop_column("push_endpoint")
    with op.batch_alter_table("advisers", schema=None) as batch_op:
        batch_op.drop_column("tell_by")
