"""Nominated contacts get what the claimant chose (issue 23): the contact's confirmed address and
the kinds of message copied to them, a relative's request to become the contact, and each copy
as a delivery of its own (recipient "contact") beside the claimant's on the same channel.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import broker.db

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# Migration 0011 left the unique constraint on (message_id, channel) unnamed: PostgreSQL named
# it itself; SQLite's batch copy names it by this convention so that it can be dropped.
PG_OLD_UNIQUE = "deliveries_message_id_channel_key"
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
SQLITE_OLD_UNIQUE = "uq_deliveries_message_id_channel"
NEW_UNIQUE = "uq_deliveries_message_channel_recipient"


def upgrade():
    op.create_table(
        "contact_addresses",
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("kinds", sa.String(length=60), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["claimant_id"], ["claimants.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"]),
        sa.PrimaryKeyConstraint("grant_id"),
    )
    with op.batch_alter_table("contact_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_addresses_claimant_id"), ["claimant_id"])
    op.create_table(
        "contact_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("claimant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relationship", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer_code_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", broker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", broker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("grant_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["claimant_id"], ["claimants.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_requests_claimant_id"), ["claimant_id"])
        batch_op.create_index(
            "ix_contact_requests_status_confirmed", ["status", "confirmed_at"], unique=False
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    names = {} if postgres else {"naming_convention": SQLITE_NAMES}
    with op.batch_alter_table("deliveries", schema=None, **names) as batch_op:
        batch_op.add_column(
            sa.Column("recipient", sa.String(length=10), server_default="claimant", nullable=False)
        )
        batch_op.add_column(sa.Column("contact_grant_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            "fk_deliveries_contact_grant_id", "grants", ["contact_grant_id"], ["id"]
        )
        batch_op.drop_constraint(PG_OLD_UNIQUE if postgres else SQLITE_OLD_UNIQUE, type_="unique")
        batch_op.create_unique_constraint(NEW_UNIQUE, ["message_id", "channel", "recipient"])


def downgrade():
    op.execute("DELETE FROM deliveries WHERE recipient = 'contact'")
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(NEW_UNIQUE, type_="unique")
        batch_op.create_unique_constraint(
            PG_OLD_UNIQUE if postgres else SQLITE_OLD_UNIQUE, ["message_id", "channel"]
        )
        batch_op.drop_constraint("fk_deliveries_contact_grant_id", type_="foreignkey")
        batch_op.drop_column("contact_grant_id")
        batch_op.drop_column("recipient")
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_requests_status_confirmed")
        batch_op.drop_index(batch_op.f("ix_contact_requests_claimant_id"))
    op.drop_table("contact_requests")
    with op.batch_alter_table("contact_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_addresses_claimant_id"))
    op.drop_table("contact_addresses")
