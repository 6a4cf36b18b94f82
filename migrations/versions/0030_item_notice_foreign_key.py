"""push_deliveries.item_notice_id names an item_notices row (issue 27 item 5): a foreign key, as
notice_id has for mr_decision_notices, so retention can never delete a to-do's or payment's
notice while a push delivery still names it, and no delivery can name a notice that is not there.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 06:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

NAME = "fk_push_deliveries_item_notice_id_item_notices"


def upgrade():
    # A delivery naming a notice that is not there (none should) would stop the key being made:
    # it keeps its SET and forgets the name, as a decision's push with no notice does.
    op.execute(
        sa.text(
            "UPDATE push_deliveries SET item_notice_id = NULL WHERE item_notice_id IS NOT NULL"
            " AND item_notice_id NOT IN (SELECT id FROM item_notices)"
        )
    )
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.create_foreign_key(NAME, "item_notices", ["item_notice_id"], ["id"])


def downgrade():
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="foreignkey")
