"""The other side is told (issue 23): a grant records when its representative was told that
its review date passed unconfirmed; a pushed Security Event Token is either a decision's (as
before) or an OpenID CAEP event about a grant, so each delivery names its claimant, grant,
client, token, and the audit action and resource its tries are recorded as.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 21:40:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_NAMED = (
    ("claimant_id", sa.String(length=36)),
    ("grant_id", sa.String(length=36)),
    ("client_id", sa.String(length=64)),
    ("token_id", sa.String(length=64)),
    ("action", sa.String(length=40)),
    ("resource", sa.String(length=200)),
)
_WATCH = (
    "(SELECT {column} FROM mr_decision_watches w JOIN mr_decision_notices n"
    " ON n.watch_id = w.id WHERE n.id = push_deliveries.notice_id)"
)


def upgrade():
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_due_told_at", broker.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        for name, kind in _NAMED:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.alter_column("notice_id", existing_type=sa.String(length=36), nullable=True)
    # The decision SETs already queued name what their notice and watch name.
    op.execute(
        "UPDATE push_deliveries SET"
        f" claimant_id = {_WATCH.format(column='w.claimant_id')},"
        f" grant_id = {_WATCH.format(column='w.grant_id')},"
        f" client_id = {_WATCH.format(column='w.client_id')},"
        f" token_id = {_WATCH.format(column='w.token_id')},"
        " action = 'mr_decision.pushed',"
        " resource = 'mr_decision:' || (SELECT n.decision_id FROM mr_decision_notices n"
        " WHERE n.id = push_deliveries.notice_id)"
    )
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        for name, kind in _NAMED:
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_push_deliveries_claimant_id_claimants"),
            "claimants",
            ["claimant_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_push_deliveries_grant_id_grants"), "grants", ["grant_id"], ["id"]
        )


def downgrade():
    op.execute("DELETE FROM push_deliveries WHERE notice_id IS NULL")
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_push_deliveries_grant_id_grants"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_push_deliveries_claimant_id_claimants"), type_="foreignkey"
        )
        batch_op.alter_column("notice_id", existing_type=sa.String(length=36), nullable=False)
        for name, _kind in reversed(_NAMED):
            batch_op.drop_column(name)
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("review_due_told_at")
