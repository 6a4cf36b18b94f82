"""one relationship, one switch: each access grant names who it is with, duplicates are merged,
and a claimant can hold at most one live access grant per representative

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:30:00

Before this, a claimant who gave an adviser access with their code and then approved the same
adviser's QR request held two live grants; stopping one left the other working. Each group of
live duplicates becomes one grant (the "survivor"): it takes the union of their scopes and the
latest end and review dates, and every live token, refresh token, authorization code and device
request of the others moves to it, keeping its ID. The others end ("system:merge"), and each
merge is a `grant.merge` event on the claimant's audit chain, so nothing changes unaudited.
Every earlier audit event and receipt is kept as it was.
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

import scopes
from broker import clock
from broker.chain import audit
from broker.db import UTCDateTime
from broker.consent.grants import relationship_key

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LIVE = ("active", "suspended", "pending")
MERGE_ACTOR = "system:merge"

grants = sa.table(
    "grants",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("claimant_id", sa.String),
    sa.column("adviser_id", sa.String),
    sa.column("client_id", sa.String),
    sa.column("representative_name", sa.String),
    sa.column("organisation_name", sa.String),
    sa.column("scopes", sa.Text),
    sa.column("status", sa.String),
    sa.column("created_at", UTCDateTime),
    sa.column("review_at", UTCDateTime),
    sa.column("ends_at", UTCDateTime),
    sa.column("ended_at", UTCDateTime),
    sa.column("ended_by", sa.String),
    sa.column("end_reason", sa.Text),
    sa.column("relationship_key", sa.String),
)
MOVED = (  # (table, column that must be empty for the row to be live)
    ("access_tokens", "revoked_at"),
    ("refresh_tokens", "revoked_at"),
    ("authorization_codes", "used_at"),
    ("device_authorizations", None),
)


def upgrade():
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relationship_key", sa.String(length=300), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(grants).where(grants.c.kind == "access")).mappings().all()
    live_groups = defaultdict(list)
    for row in rows:
        key = relationship_key(
            row["kind"],
            row["adviser_id"],
            row["client_id"],
            row["representative_name"],
            row["organisation_name"] or "",
        )
        bind.execute(grants.update().where(grants.c.id == row["id"]).values(relationship_key=key))
        if row["status"] in LIVE:
            live_groups[(row["claimant_id"], key)].append(row)
    now = clock.now()
    for group in live_groups.values():
        if len(group) > 1:
            _merge(bind, group, now)
    live = sa.text("status IN ('active', 'suspended', 'pending')")
    op.create_index(
        "uq_grants_live_relationship",
        "grants",
        ["claimant_id", "relationship_key"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )


def _merge(bind, group, now):
    """Fold a claimant's live grants with one representative into one, audited."""
    survivor = max(group, key=lambda r: (r["status"] == "active", r["ends_at"], r["created_at"]))
    others = [r for r in group if r["id"] != survivor["id"]]
    names = scopes.parse(" ".join(r["scopes"] for r in group))
    bind.execute(
        grants.update()
        .where(grants.c.id == survivor["id"])
        .values(
            scopes=" ".join(names),
            ends_at=max(r["ends_at"] for r in group),
            review_at=max(r["review_at"] for r in group),
        )
    )
    for other in others:
        bind.execute(
            grants.update()
            .where(grants.c.id == other["id"])
            .values(
                status="revoked",
                ended_at=now,
                ended_by=MERGE_ACTOR,
                end_reason=f"Joined with grant {survivor['id']} for the same person",
            )
        )
        for table, live_when_empty in MOVED:
            where = f"grant_id = :old{f' AND {live_when_empty} IS NULL' if live_when_empty else ''}"
            bind.execute(
                sa.text(f"UPDATE {table} SET grant_id = :new WHERE {where}"),  # noqa: S608
                {"new": survivor["id"], "old": other["id"]},
            )
        audit.append(
            audit.Event(
                other["claimant_id"],
                "",
                other["id"],
                MERGE_ACTOR,
                "grant.merge",
                f"grant:{survivor['id']}",
                "done",
            ),
            now=now,
            connection=bind,
        )


def downgrade():
    op.drop_index("uq_grants_live_relationship", table_name="grants")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("relationship_key")
