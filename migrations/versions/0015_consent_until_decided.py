"""Access that ends when the case does: a grant may last until the claimant's Mandatory
Reconsideration is decided (grants.until_event = "mr_decided"), and records the decision that
ended it (grants.event_decision_id).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 20:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("until_event", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("event_decision_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            "fk_grants_event_decision_id", "mr_decisions", ["event_decision_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_constraint("fk_grants_event_decision_id", type_="foreignkey")
        batch_op.drop_column("event_decision_id")
        batch_op.drop_column("until_event")
