"""Signed audit checkpoints: a Merkle root over every claimant's chain head, signed by the broker.

A checkpoint is a JWS (broker/chain/signed.py, `typ` consent-broker-checkpoint) over
{iss, seq, issued_at, tree_size, events, root, prev}: its number, when, how many chains and
events it covers, the RFC 9162 Merkle root (broker/chain/merkle.py) of one leaf per claimant, and
the SHA-256 of the previous checkpoint's JWS. Checkpoints are published newest first at
/api/v1/audit/checkpoints; anyone who keeps a copy can later tell if a chain was rewritten,
truncated or forked, even by someone with write access to the database, unless they can sign.

A leaf is RFC 9162's leaf hash of "claimant_id US seq US head hash US tag head" (US is 0x1f,
hashes in lower-case hex). Each claimant's leaf keeps the place it was given when their chain
was first checkpointed (new chains are appended), so the tree is kept incrementally: every node
is stored (checkpoint_nodes) and a checkpoint rehashes only the paths of the leaves that changed
(merkle.update), finding them through a partial index on the chain heads (audit_heads.sealed_seq).
Its cost follows the chains that moved, not the number of claimants (`make bench`).

The tag head is the last link of a second chain over the same events that lets a statement hide
an event yet prove who did not make it (broker/proof/statements.py):

    key(actor)  = HMAC-SHA256(statement key, "actor" US claimant_id US actor)   per actor, secret
    commit(n)   = HMAC-SHA256(key(actor of n), claimant_id US n)
    tag(n)      = SHA-256(tag(n-1) || hash(n) || commit(n)),      tag(0) = 32 zero bytes

The statement key is the broker's own secret (signed.salt_key, `statement-key`). Tags are
computed here, by the checkpointer, never by the protected request: the request's append stays
as it was. Before signing, the checkpointer re-checks every event since the last checkpoint
(links, content hash, the head row) and refuses to sign over a broken chain.

When (security.md 28): a checkpoint is signed whenever events were added and the last one is older
than BROKER_CHECKPOINT_SECONDS (default 60), by the scheduler every minute (broker/scheduler.py;
`consent-broker checkpoint` signs a due one at once) and by every sweep run (which also signs one if
anything changed, BROKER_CHECKPOINT_ON_SWEEP, default on). Events after the latest checkpoint are
"not yet sealed": someone with write access to the database could rewrite them unseen until the next
checkpoint, so `verify-audit` prints their number and age, and `verify-audit --strict` fails when
any is older than the interval (the checkpointer has stopped, or was stopped). Statements never sign
one. Nothing runs in the request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from .. import clock
from ..extensions import db
from ..models import (
    AuditCheckpoint,
    AuditEvent,
    CheckpointLeaf,
    CheckpointLeafVersion,
    CheckpointNode,
)
from ..services import Services
from . import audit, merkle, signed

ZERO = bytes(32)
US = "\x1f"
DEFAULT_SECONDS = 60


class ChainBroken(RuntimeError):
    """A chain does not hold together, so the broker will not sign a checkpoint over it."""

    def __init__(self, claimant_id: str, seq: int, reason: str) -> None:
        super().__init__(f"claimant {claimant_id} at event {seq}: {reason}")
        self.claimant_id, self.seq, self.reason = claimant_id, seq, reason


@dataclass(frozen=True)
class Leaf:
    claimant_id: str
    seq: int
    hash: bytes
    tag_head: bytes

    def data(self) -> bytes:
        return US.join(
            (self.claimant_id, str(self.seq), self.hash.hex(), self.tag_head.hex())
        ).encode()

    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(self.data())

    def as_json(self) -> dict[str, Any]:
        return {
            "claimant_id": self.claimant_id,
            "seq": self.seq,
            "hash": self.hash.hex(),
            "tag_head": self.tag_head.hex(),
        }


def actor_key(statement_key: bytes, claimant_id: str, actor: str) -> bytes:
    """The key an actor's events on one claimant's chain are committed under (revealed only in
    that actor's own statements about that claimant)."""
    message = f"actor{US}{claimant_id}{US}{actor}".encode()
    return hmac.new(statement_key, message, hashlib.sha256).digest()


def commitment(key: bytes, claimant_id: str, seq: int) -> bytes:
    return hmac.new(key, f"{claimant_id}{US}{seq}".encode(), hashlib.sha256).digest()


def next_tag(tag: bytes, event_hash: bytes, event_commitment: bytes) -> bytes:
    return hashlib.sha256(tag + event_hash + event_commitment).digest()


# Statement format 1 (before per-actor keys): kept so that files given out then still verify.
def salt_v1(salt_key: bytes, claimant_id: str, seq: int) -> bytes:
    return hmac.new(salt_key, f"{claimant_id}{US}{seq}".encode(), hashlib.sha256).digest()


def actor_commitment_v1(event_salt: bytes, actor: str) -> bytes:
    return hashlib.sha256(event_salt + actor.encode()).digest()


def next_tag_v1(tag: bytes, event_hash: bytes, event_salt: bytes, commitment: bytes) -> bytes:
    return hashlib.sha256(tag + event_hash + event_salt + commitment).digest()


def tree_root(leaves: Sequence[Leaf]) -> bytes:
    return merkle.root([leaf.leaf_hash() for leaf in leaves])


def checkpoint_hash(jws: str) -> bytes:
    return hashlib.sha256(jws.encode()).digest()


def interval(config: Mapping[str, Any]) -> timedelta:
    """How long events may wait to be sealed: BROKER_CHECKPOINT_SECONDS (security.md 28)."""
    return timedelta(seconds=int(config.get("BROKER_CHECKPOINT_SECONDS", DEFAULT_SECONDS)))


def due(now: datetime, every: timedelta) -> bool:
    """A checkpoint is due when events were added since the last and it is `every` old."""
    last = latest()
    if last is not None and now - last.issued_at < every:
        return False
    return bool(db.session.scalar(text(_MOVED_SQL + " LIMIT 1")))


# The heads that moved since the checkpointer last sealed them (the partial index's predicate).
_MOVED_SQL = "SELECT claimant_id FROM audit_heads WHERE seq <> sealed_seq"


@dataclass(frozen=True)
class Unsealed:
    """Events after the latest checkpoint: how many, over how many chains, the oldest's time."""

    events: int
    chains: int
    oldest: datetime | None

    def overdue(self, now: datetime, every: timedelta) -> bool:
        return self.oldest is not None and now - self.oldest > every


_UNSEALED_SQL = (
    "SELECT h.claimant_id, h.seq, coalesce(l.seq, 0) FROM audit_heads h"
    " LEFT JOIN checkpoint_leaves l ON l.claimant_id = h.claimant_id"
    " WHERE h.seq <> coalesce(l.seq, 0)"
)


def unsealed() -> Unsealed:
    """The events no checkpoint has signed yet, with the time of the oldest of them."""
    events, chains, oldest_us = 0, 0, None
    for claimant_id, head_seq, sealed_seq in db.session.execute(text(_UNSEALED_SQL)).all():
        chains += 1
        events += max(int(head_seq) - int(sealed_seq), 0)
        first = db.session.scalar(
            select(AuditEvent.occurred_us)
            .where(AuditEvent.claimant_id == claimant_id, AuditEvent.seq > sealed_seq)
            .order_by(AuditEvent.seq)
            .limit(1)
        )
        if first is not None and (oldest_us is None or first < oldest_us):
            oldest_us = first
    oldest = clock.from_micros(oldest_us) if oldest_us is not None else None
    return Unsealed(events, chains, oldest)


def latest() -> AuditCheckpoint | None:
    return db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))


def published(limit: int = 100, before: int | None = None) -> list[AuditCheckpoint]:
    """Checkpoints newest first (the public endpoint pages with `before`)."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditCheckpoint.seq < before)
    return list(db.session.scalars(query))


def as_json(row: AuditCheckpoint) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "issued_at": row.issued_at.isoformat(),
        "tree_size": row.tree_size,
        "events": row.event_count,
        "root": row.root.hex(),
        "prev": row.prev_hash.hex(),
        "jws": row.jws,
    }


def leaves() -> list[Leaf]:
    """The latest checkpoint's leaves as stored, in tree order (untrusted until their root is
    checked)."""
    rows = db.session.scalars(select(CheckpointLeaf).order_by(CheckpointLeaf.idx))
    return [Leaf(r.claimant_id, r.seq, bytes(r.hash), bytes(r.tag_head)) for r in rows]


CHUNK = 500  # ids per IN (...) list


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def stored_nodes(level: int, indices: Iterable[int]) -> dict[int, bytes]:
    """The kept tree's nodes at `level` (merkle.NodeGetter)."""
    found: dict[int, bytes] = {}
    for part in _chunks(list(indices)):
        rows = db.session.execute(
            select(CheckpointNode.idx, CheckpointNode.hash).where(
                CheckpointNode.level == level, CheckpointNode.idx.in_(part)
            )
        )
        found.update((int(i), bytes(h)) for i, h in rows)
    return found


def _upsert(model: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Insert or replace rows in bulk (PostgreSQL and SQLite both have ON CONFLICT)."""
    if not rows:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model)
    columns = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    statement = statement.on_conflict_do_update(index_elements=keys, set_=columns)
    for start in range(0, len(rows), 5000):
        db.session.execute(statement, rows[start : start + 5000])


def make(
    services: Services, *, now: datetime | None = None, force: bool = False
) -> AuditCheckpoint | None:
    """Sign a checkpoint of every chain as it is now; adds it without committing.

    Reads and rehashes only the chains that moved since the last checkpoint. Returns None when
    nothing changed since the last one (unless `force`). ChainBroken if any chain's new events
    do not hold together: the broker never signs over a broken chain.
    """
    now = now or clock.now()
    last = latest()
    fresh = db.session.scalar(select(CheckpointLeaf.claimant_id).limit(1)) is None
    if fresh and last is not None and last.tree_size and not force:
        # The kept leaves are what a rebuild would be checked against: without them the chains
        # are re-read from their first event, so only an operator may ask for that.
        raise ChainBroken(
            "",
            last.seq,
            "the chain heads kept for the last checkpoint are gone; after migration 0008 run "
            "`consent-broker checkpoint --force` once to rebuild the tree",
        )
    if fresh:  # the first checkpoint, or the first after migration 0008: build the whole tree
        db.session.execute(delete(CheckpointNode))
        moved = db.session.execute(
            text("SELECT claimant_id, seq, hash FROM audit_heads WHERE seq > 0")
        ).all()
        size, events = 0, 0
    else:
        moved = db.session.execute(
            text(_MOVED_SQL.replace("claimant_id", "claimant_id, seq, hash", 1))
        ).all()
        assert last is not None
        size, events = last.tree_size, last.event_count
    stored: dict[str, CheckpointLeaf] = {}
    for part in _chunks(sorted(row[0] for row in moved)):
        stored.update(
            (r.claimant_id, r)
            for r in db.session.scalars(
                select(CheckpointLeaf).where(CheckpointLeaf.claimant_id.in_(part))
            )
        )
    key = services.statement_key
    changed: list[tuple[int, Leaf]] = []
    sealed: list[dict[str, Any]] = []
    moved = sorted(moved)
    pending = _new_events(moved, stored)
    for claimant_id, head_seq, head_hash in moved:
        row = stored.get(claimant_id)
        before = Leaf(claimant_id, row.seq, bytes(row.hash), bytes(row.tag_head)) if row else None
        sealed.append({"c": claimant_id, "s": int(head_seq)})
        if before is not None and before.seq == head_seq and before.hash == bytes(head_hash):
            continue
        leaf = _extend(
            key, claimant_id, before, int(head_seq), bytes(head_hash), pending(claimant_id)
        )
        if row is not None:
            index = int(row.idx)
        else:
            index, size = size, size + 1
        events += leaf.seq - (before.seq if before else 0)
        changed.append((index, leaf))
    if not changed and last is not None and not force:
        _mark_sealed(sealed)
        return None
    root, nodes = merkle.update(size, {i: leaf.leaf_hash() for i, leaf in changed}, stored_nodes)
    if root is None:
        root = last.root if last is not None and not fresh else merkle.root([])
    seq = (last.seq if last else 0) + 1
    prev = last.hash if last else ZERO
    payload = {
        "iss": services.issuer,
        "seq": seq,
        "issued_at": now.isoformat(),
        "tree_size": size,
        "events": events,
        "root": root.hex(),
        "prev": prev.hex(),
    }
    jws = signed.sign(payload, signed.CHECKPOINT, services.signing_key)
    row = AuditCheckpoint(
        seq=seq,
        issued_at=now,
        tree_size=size,
        event_count=events,
        root=root,
        prev_hash=prev,
        hash=checkpoint_hash(jws),
        jws=jws,
    )
    db.session.add(row)
    versions = [
        {
            "claimant_id": leaf.claimant_id,
            "idx": index,
            "seq": leaf.seq,
            "hash": leaf.hash,
            "tag_head": leaf.tag_head,
            "checkpoint_seq": seq,
        }
        for index, leaf in changed
    ]
    _upsert(CheckpointLeaf, versions, ["claimant_id"])
    if versions:
        db.session.execute(insert(CheckpointLeafVersion), versions)
    _upsert(
        CheckpointNode,
        [{"level": lv, "idx": i, "hash": h} for (lv, i), h in nodes.items()],
        ["level", "idx"],
    )
    _mark_sealed(sealed)
    db.session.flush()
    return row


def _mark_sealed(heads: list[dict[str, Any]]) -> None:
    """The heads this checkpoint covered leave the partial index (unless they moved again)."""
    if heads:
        db.session.execute(
            text("UPDATE audit_heads SET sealed_seq = :s WHERE claimant_id = :c AND seq = :s"),
            heads,
        )


def leaf_at(claimant_id: str, checkpoint_seq: int) -> tuple[int, Leaf] | None:
    """(place in the tree, leaf) of this claimant's chain as checkpoint `checkpoint_seq` signed
    it, or None if that checkpoint did not cover the chain."""
    row = db.session.scalars(
        select(CheckpointLeafVersion)
        .where(
            CheckpointLeafVersion.claimant_id == claimant_id,
            CheckpointLeafVersion.checkpoint_seq <= checkpoint_seq,
        )
        .order_by(CheckpointLeafVersion.checkpoint_seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return int(row.idx), Leaf(claimant_id, row.seq, bytes(row.hash), bytes(row.tag_head))


def inclusion_proof(index: int, checkpoint: AuditCheckpoint) -> list[bytes]:
    """The leaf's audit path to `checkpoint`'s root: read from the kept tree for the latest
    checkpoint; for an older one, rebuilt from the leaves as it signed them (one pass over
    them: statements of access that ended before the chains moved on)."""
    latest_row = latest()
    if latest_row is not None and latest_row.seq == checkpoint.seq:
        return merkle.stored_inclusion_proof(index, checkpoint.tree_size, stored_nodes)
    rows = db.session.execute(
        text(
            "SELECT v.idx, v.claimant_id, v.seq, v.hash, v.tag_head"
            " FROM checkpoint_leaf_versions v WHERE v.checkpoint_seq = ("
            "SELECT max(w.checkpoint_seq) FROM checkpoint_leaf_versions w"
            " WHERE w.claimant_id = v.claimant_id AND w.checkpoint_seq <= :s)"
            " ORDER BY v.idx"
        ),
        {"s": checkpoint.seq},
    ).all()
    hashes = [Leaf(c, int(q), bytes(h), bytes(t)).leaf_hash() for _i, c, q, h, t in rows]
    if len(hashes) != checkpoint.tree_size or merkle.root(hashes) != checkpoint.root:
        raise ChainBroken("", checkpoint.seq, "the leaves kept for this checkpoint were changed")
    return merkle.inclusion_proof(index, hashes)


def _new_events(
    moved: Sequence[Any], stored: dict[str, CheckpointLeaf]
) -> Callable[[str], list[Any]]:
    """The events since their last leaf of the chains that moved, read a chunk of chains at a
    time (one query per 500 chains, not one per chain); returns a lookup by claimant."""
    ids = [row[0] for row in moved]
    batches = iter(list(_chunks(ids)))
    loaded: dict[str, list[Any]] = {}

    def lookup(claimant_id: str) -> list[Any]:
        while claimant_id not in loaded:
            part = next(batches, None)
            if part is None:
                return []
            loaded.clear()
            loaded.update((c, []) for c in part)
            rows = db.session.scalars(
                select(AuditEvent)
                .outerjoin(CheckpointLeaf, CheckpointLeaf.claimant_id == AuditEvent.claimant_id)
                .where(
                    AuditEvent.claimant_id.in_(part),
                    AuditEvent.seq > func.coalesce(CheckpointLeaf.seq, 0),
                )
                .order_by(AuditEvent.claimant_id, AuditEvent.seq)
                .execution_options(yield_per=5000)
            )
            for event in rows:
                after = stored[event.claimant_id].seq if event.claimant_id in stored else 0
                if event.seq > after:
                    loaded[event.claimant_id].append(event)
        return loaded[claimant_id]

    return lookup


def _extend(
    key: bytes,
    claimant_id: str,
    before: Leaf | None,
    head_seq: int,
    head_hash: bytes,
    events: Iterable[Any] | None = None,
) -> Leaf:
    """Check a chain's events since its last leaf and carry its tag chain on to its head."""
    start = before.seq if before else 0
    if head_seq < start:
        raise ChainBroken(
            claimant_id,
            head_seq,
            f"the chain is back at event {head_seq} "
            f"after checkpoint at event {start} (events were removed)",
        )
    prev, tag = (before.hash, before.tag_head) if before else (audit.GENESIS, ZERO)
    expected = start + 1
    keys: dict[str, bytes] = {}
    if events is None:
        events = chain_events(claimant_id, after=start, upto=head_seq)
    for event in events:
        if event.seq > head_seq:
            break
        if event.seq != expected:
            raise ChainBroken(claimant_id, expected, "an event is missing or moved")
        problem = audit.link_problem(event, prev)
        if problem:
            raise ChainBroken(claimant_id, event.seq, problem)
        prev = event.hash
        if event.actor not in keys:
            keys[event.actor] = actor_key(key, claimant_id, event.actor)
        tag = next_tag(tag, event.hash, commitment(keys[event.actor], claimant_id, event.seq))
        expected += 1
    if expected - 1 != head_seq or prev != head_hash:
        raise ChainBroken(claimant_id, expected, "the events do not reach the chain's head")
    return Leaf(claimant_id, head_seq, head_hash, tag)


def chain_events(claimant_id: str, *, after: int = 0, upto: int | None = None) -> Iterable[Any]:
    """A claimant's audit events in order, seq in (after, upto]."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.claimant_id == claimant_id, AuditEvent.seq > after)
        .order_by(AuditEvent.seq)
    )
    if upto is not None:
        query = query.where(AuditEvent.seq <= upto)
    return db.session.scalars(query)


# Checking the stored checkpoints and the chains against the latest one (verify-audit).


@dataclass(frozen=True)
class Finding:
    claimant_id: str | None  # None: about the checkpoints themselves
    seq: int
    reason: str


def verify_checkpoints(key_set: dict[str, Any]) -> list[Finding]:
    """Every stored checkpoint is signed by a published key, numbered 1, 2, 3... and names the
    hash of the one before: none was changed, removed or slipped in."""
    findings: list[Finding] = []
    prev, expected = ZERO, 1
    for row in db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)):
        try:
            payload = signed.verify(row.jws, signed.CHECKPOINT, key_set)
        except signed.BadSignature as exc:
            findings.append(Finding(None, row.seq, f"checkpoint {row.seq}: {exc}"))
            prev, expected = checkpoint_hash(row.jws), row.seq + 1
            continue
        columns = {
            "seq": row.seq,
            "root": row.root.hex(),
            "prev": row.prev_hash.hex(),
            "tree_size": row.tree_size,
            "events": row.event_count,
        }
        if any(payload.get(name) != value for name, value in columns.items()):
            findings.append(
                Finding(
                    None, row.seq, f"checkpoint {row.seq}: its columns differ from what was signed"
                )
            )
        if row.seq != expected:
            findings.append(Finding(None, row.seq, f"checkpoint {expected} is missing"))
        elif payload.get("prev") != prev.hex():
            findings.append(
                Finding(
                    None,
                    row.seq,
                    f"checkpoint {row.seq} does not follow "
                    f"checkpoint {row.seq - 1} (the list was changed)",
                )
            )
        prev, expected = checkpoint_hash(row.jws), row.seq + 1
    return findings


_HEADS_AT_LEAVES_SQL = (
    "SELECT l.claimant_id, l.seq, e.hash FROM checkpoint_leaves l LEFT JOIN audit_events e"
    " ON e.claimant_id = l.claimant_id AND e.seq = l.seq"
)


def verify_chains_against(row: AuditCheckpoint, key_set: dict[str, Any]) -> list[Finding]:
    """Compare every chain with the signed checkpoint `row`: each chain must still hold, at the
    event the checkpoint covered, the hash it signed. Run after audit.verify has walked every
    chain (so each event's hash matches its content): a chain rewritten with recomputed hashes,
    truncated, forked or swapped with another claimant's then differs here."""
    try:
        signed.verify(row.jws, signed.CHECKPOINT, key_set)
    except signed.BadSignature as exc:
        return [Finding(None, row.seq, f"checkpoint {row.seq}: {exc}")]
    stored = {leaf.claimant_id: leaf for leaf in leaves()}
    findings: list[Finding] = []
    actual: dict[str, Leaf] = {}
    for claimant_id, seq, event_hash in db.session.execute(text(_HEADS_AT_LEAVES_SQL)):
        leaf = stored[claimant_id]
        if event_hash is None:
            findings.append(
                Finding(
                    claimant_id,
                    seq,
                    f"checkpoint {row.seq} signed this chain "
                    f"up to event {seq}, which is no longer there (events "
                    "were removed)",
                )
            )
        elif bytes(event_hash) != leaf.hash:
            findings.append(
                Finding(
                    claimant_id,
                    seq,
                    f"event {seq} differs from the one "
                    f"checkpoint {row.seq} signed (the chain was rewritten)",
                )
            )
        actual[claimant_id] = Leaf(claimant_id, seq, bytes(event_hash or b""), leaf.tag_head)
    if findings:
        return findings
    ordered = [actual[leaf.claimant_id] for leaf in stored.values()]  # tree order
    if len(ordered) != row.tree_size or tree_root(ordered) != row.root:
        findings.append(
            Finding(
                None,
                row.seq,
                f"the chain heads kept for checkpoint {row.seq} "
                "do not add up to its signed root (they were changed)",
            )
        )
    return findings
