"""The audit log: append events to a per-claimant SHA-256 chain, in the caller's transaction,
and verify every chain.

Each event stores SHA-256(previous hash || canonical content). Changing, removing or reordering a
row breaks a link; truncating a chain's tail disagrees with its head row. The append locks the
claimant's head row, so concurrent writers for one claimant queue instead of forking the chain,
and writers for different claimants never wait on each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from . import clock
from .extensions import db

GENESIS = bytes(32)
SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in ids, actions or resources we write

# A no-op write takes the row lock on PostgreSQL and the database write lock on SQLite, so it
# serialises appenders on both; RETURNING reads the head in the same statement.
_LOCK_HEAD = text(
    "UPDATE audit_heads SET seq = seq WHERE claimant_id = :c RETURNING seq, hash"
)
_START_CHAIN = text(
    "INSERT INTO audit_heads (claimant_id, seq, hash) VALUES (:c, 0, :h) "
    "ON CONFLICT (claimant_id) DO NOTHING"
)
_INSERT_EVENT = text(
    "INSERT INTO audit_events (claimant_id, seq, occurred_us, token_id, grant_id, actor, action,"
    " resource, outcome, prev_hash, hash) VALUES (:claimant_id, :seq, :occurred_us, :token_id,"
    " :grant_id, :actor, :action, :resource, :outcome, :prev_hash, :hash)"
)
_UPDATE_HEAD = text("UPDATE audit_heads SET seq = :seq, hash = :hash WHERE claimant_id = :c")


class AuditWriteFailed(RuntimeError):
    """The audit event could not be written; the action it records must not happen."""


@dataclass(frozen=True, slots=True)
class Event:
    claimant_id: str
    token_id: str
    grant_id: str
    actor: str
    action: str
    resource: str
    outcome: str


def canonical(claimant_id: str, seq: int, occurred_us: int, token_id: str, grant_id: str,
              actor: str, action: str, resource: str, outcome: str) -> bytes:  # fmt: skip
    """The exact bytes an event's hash covers: its fields in a fixed order."""
    return SEPARATOR.join(
        (claimant_id, str(seq), str(occurred_us), token_id, grant_id, actor, action, resource,
         outcome)  # fmt: skip
    ).encode()


def link(prev_hash: bytes, content: bytes) -> bytes:
    return hashlib.sha256(prev_hash + content).digest()


def append(event: Event, *, now: datetime | None = None, connection: Connection | None = None,
           head: tuple[int, bytes] | None = None) -> int:  # fmt: skip
    """Append one event to its claimant's chain in the current transaction; returns its seq.

    `head` is the chain head the caller has already locked in this transaction (the protected
    request locks it together with its token lookup). Does not commit: the caller commits the
    event with the action it records, or neither.
    """
    for field in (event.actor, event.action, event.resource, event.outcome):
        if SEPARATOR in field:
            raise AuditWriteFailed("field holds the separator")
    conn = connection if connection is not None else db.session.connection()
    if head is None:
        head = lock_head(conn, event.claimant_id)
    prev_seq, prev_hash = head
    seq = prev_seq + 1
    occurred_us = clock.to_micros(now or clock.now())
    digest = link(prev_hash, canonical(
        event.claimant_id, seq, occurred_us, event.token_id, event.grant_id, event.actor,
        event.action, event.resource, event.outcome))  # fmt: skip
    conn.execute(_INSERT_EVENT, {
        "claimant_id": event.claimant_id, "seq": seq, "occurred_us": occurred_us,
        "token_id": event.token_id, "grant_id": event.grant_id, "actor": event.actor,
        "action": event.action, "resource": event.resource, "outcome": event.outcome,
        "prev_hash": prev_hash, "hash": digest})  # fmt: skip
    conn.execute(_UPDATE_HEAD, {"seq": seq, "hash": digest, "c": event.claimant_id})
    return seq


def lock_head(conn: Connection, claimant_id: str) -> tuple[int, bytes]:
    """Lock and read a claimant's chain head, creating it on first use."""
    row = conn.execute(_LOCK_HEAD, {"c": claimant_id}).first()
    if row is None:
        conn.execute(_START_CHAIN, {"c": claimant_id, "h": GENESIS})
        row = conn.execute(_LOCK_HEAD, {"c": claimant_id}).first()
    return row[0], bytes(row[1])


def start_chain(claimant_id: str) -> None:
    """Create a claimant's chain head (idempotent), so that the first append has a row to lock."""
    db.session.execute(_START_CHAIN, {"c": claimant_id, "h": GENESIS})


@dataclass(frozen=True, slots=True)
class Break:
    claimant_id: str
    seq: int
    reason: str


_STREAM = text(
    "SELECT claimant_id, seq, occurred_us, token_id, grant_id, actor, action, resource, outcome,"
    " prev_hash, hash FROM audit_events ORDER BY claimant_id, seq"
)
_HEADS = text("SELECT claimant_id, seq, hash FROM audit_heads")


def verify(connection: Connection, batch: int = 20_000) -> Iterator[Break]:
    """Walk every chain once, streaming rows; yield the first broken link of each claimant."""
    heads = {row[0]: (row[1], bytes(row[2])) for row in connection.execute(_HEADS)}
    sha = hashlib.sha256
    sep = SEPARATOR
    current: str | None = None
    expected_seq = 0
    prev = GENESIS
    broken: set[str] = set()
    result = connection.execution_options(stream_results=True, yield_per=batch).execute(_STREAM)
    for rows in result.partitions():
        for claimant_id, seq, occurred_us, token_id, grant_id, actor, action, resource, outcome, \
                prev_hash, digest in rows:  # fmt: skip
            if claimant_id != current:
                if current is not None and current not in broken:
                    tail = _check_tail(current, expected_seq, prev, heads)
                    if tail:
                        yield tail
                heads.pop(current, None)
                current, expected_seq, prev = claimant_id, 1, GENESIS
            if claimant_id in broken:
                continue
            content = sep.join((claimant_id, str(seq), str(occurred_us), token_id, grant_id, actor,
                                action, resource, outcome)).encode()  # fmt: skip
            if seq != expected_seq:
                reason = f"expected event {expected_seq}, found {seq} (a row is missing or moved)"
            elif bytes(prev_hash) != prev:
                reason = "previous-hash link does not match the event before it"
            elif sha(prev + content).digest() != bytes(digest):
                reason = "content does not match its hash (the row was changed)"
            else:
                prev = bytes(digest)
                expected_seq += 1
                continue
            broken.add(claimant_id)
            yield Break(claimant_id, seq, reason)
    if current is not None and current not in broken:
        tail = _check_tail(current, expected_seq, prev, heads)
        if tail:
            yield tail
        heads.pop(current, None)
    for claimant_id, (seq, _digest) in heads.items():
        if seq > 0:
            yield Break(claimant_id, 1, f"chain head is at event {seq} but no events remain")


def _check_tail(claimant_id: str, next_seq: int, last_hash: bytes,
                heads: dict[str, tuple[int, bytes]]) -> Break | None:  # fmt: skip
    head = heads.get(claimant_id)
    if head is None:
        return Break(claimant_id, next_seq - 1, "events exist but the chain has no head")
    seq, digest = head
    if seq != next_seq - 1 or digest != last_hash:
        return Break(claimant_id, next_seq, f"chain head is at event {seq}; events end at "
                     f"{next_seq - 1} (rows were removed from the end)")  # fmt: skip
    return None


def events_for_grants(grant_ids: list[str], limit: int = 500) -> list[dict[str, object]]:
    """Events made under these grants, newest first, for the claimant's history page."""
    if not grant_ids:
        return []
    from .models import AuditEvent

    rows = db.session.execute(
        db.select(AuditEvent)
        .where(AuditEvent.grant_id.in_(grant_ids))
        .order_by(AuditEvent.occurred_us.desc(), AuditEvent.seq.desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "at": clock.from_micros(e.occurred_us),
            "token_id": e.token_id,
            "grant_id": e.grant_id,
            "actor": e.actor,
            "action": e.action,
            "resource": e.resource,
            "outcome": e.outcome,
        }
        for e in rows
    ]
