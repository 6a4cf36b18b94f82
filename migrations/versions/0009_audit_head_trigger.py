"""the chain head follows each appended event: a trigger on audit_events, so that an append is
one INSERT (the protected request's hot path, bench/README.md) and no writer can add an event
without moving the head

A later migration that alters audit_events with batch_alter_table on SQLite rebuilds the table,
and a rebuilt table has no trigger: such a migration must create `audit_head_follows` again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:15:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_MOVE_HEAD = (
    "UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE claimant_id = NEW.claimant_id;"
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_head_follows() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN {_MOVE_HEAD} RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_events"
            " FOR EACH ROW EXECUTE FUNCTION audit_head_follows()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_events"
            f" BEGIN {_MOVE_HEAD} END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_head_follows ON audit_events")
        op.execute("DROP FUNCTION audit_head_follows()")
    else:
        op.execute("DROP TRIGGER audit_head_follows")
