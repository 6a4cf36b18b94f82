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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from .. import clock, metrics
from ..driver import Unit, pg
from ..extensions import db
from ..models import AuditEvent

GENESIS = bytes(32)
SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in ids, actions or resources we write

# The append runs on the driver connection under the caller's SQLAlchemy transaction: it is the
# hot path of every protected request, and Core's per-statement work (compile-cache lookup,
# parameter and result processing) costs more than SQLite's own insert. Statements are plain SQL
# strings written once, positional parameters; psycopg prepares them after a few executions.
#
# SQLite: a no-op write takes the database write lock (a deferred transaction's reads alone
# would not), so it serialises appenders; RETURNING reads the head in the same statement.
# PostgreSQL: FOR UPDATE takes the row lock and, after waiting, reads the row as the writer it
# waited for left it, without writing a new row version as an UPDATE would.
LOCK_HEAD_SQL = "UPDATE audit_heads SET seq = seq WHERE claimant_id = ? RETURNING seq, hash"
LOCK_HEAD_PG_SQL = "SELECT seq, hash FROM audit_heads WHERE claimant_id = %s FOR UPDATE"
_START_CHAIN_SQL = (
    "INSERT INTO audit_heads (claimant_id, seq, hash) VALUES (?, 0, ?) "
    "ON CONFLICT (claimant_id) DO NOTHING"
)
INSERT_EVENT_SQL = (
    "INSERT INTO audit_events (claimant_id, seq, occurred_us, token_id, grant_id, actor, action,"
    " resource, outcome, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Migration 0009's trigger moves the head with each inserted event, so the guard's append is one
# INSERT. Appends on the session's connection (consent changes; migration 0006, which runs
# before the trigger exists) move the head themselves as well, only where it has not moved yet:
# a no-op where the trigger did.
INSERT_EVENT_PG_SQL = pg(INSERT_EVENT_SQL)
_FOLLOW_HEAD_SQL = "UPDATE audit_heads SET seq = ?, hash = ? WHERE claimant_id = ? AND seq < ?"
_APPEND_FOLLOW_PG_SQL = (
    "WITH e AS (" + INSERT_EVENT_PG_SQL + ")"  # noqa: S608 (constants)
    " UPDATE audit_heads SET seq = %s, hash = %s WHERE claimant_id = %s AND seq < %s"
)


_START_CHAIN_PG_SQL = pg(_START_CHAIN_SQL)


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


def untokened(
    claimant_id: str,
    actor: str,
    action: str,
    resource: str,
    *,
    outcome: str = "done",
    grant_id: str = "",
) -> Event:
    """An event no token made: a person or the system acting on the broker itself."""
    return Event(claimant_id, "", grant_id, actor, action, resource, outcome)


def canonical(
    claimant_id: str,
    seq: int,
    occurred_us: int,
    token_id: str,
    grant_id: str,
    actor: str,
    action: str,
    resource: str,
    outcome: str,
) -> bytes:
    """The exact bytes an event's hash covers: its fields in a fixed order."""
    return SEPARATOR.join(
        (
            claimant_id,
            str(seq),
            str(occurred_us),
            token_id,
            grant_id,
            actor,
            action,
            resource,
            outcome,
        )
    ).encode()


def content_of(event: Any) -> bytes:
    """canonical() of anything with the event's fields as attributes (a row, an Event)."""
    return canonical(*(getattr(event, name) for name in CHAINED_FIELDS))


CHAINED_FIELDS = (
    "claimant_id",
    "seq",
    "occurred_us",
    "token_id",
    "grant_id",
    "actor",
    "action",
    "resource",
    "outcome",
)


def link(prev_hash: bytes, content: bytes) -> bytes:
    return hashlib.sha256(prev_hash + content).digest()


BROKEN_LINK = "previous-hash link does not match the event before it"
CHANGED_ROW = "content does not match its hash (the row was changed)"


def link_problem(event: Any, prev: bytes) -> str | None:
    """Why this stored event does not follow `prev` or match its hash, or None if it does.

    verify-audit's streaming walk (_walk) makes the same two checks on rows it reads raw.
    """
    if bytes(event.prev_hash) != prev:
        return BROKEN_LINK
    if link(prev, content_of(event)) != bytes(event.hash):
        return CHANGED_ROW
    return None


@contextmanager
def driver_errors(conn: Connection) -> Iterator[None]:
    """Raise a driver's error from a plain statement as SQLAlchemy's own (OperationalError for
    a lost database or "database is locked", so the app answers 503), and drop a connection
    the database has gone from, as Core does for its own statements."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as exc:
        gone = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        if gone:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            None, None, exc, dbapi_error, connection_invalidated=gone, dialect=conn.dialect
        ) from exc


def driver_connection(conn: Connection) -> Any:
    """The DBAPI connection under `conn`, inside `conn`'s transaction (begun if need be)."""
    if not conn.in_transaction():
        conn.begin()
    return conn.connection.driver_connection


def append(
    event: Event,
    *,
    now: datetime | None = None,
    connection: Connection | Unit | None = None,
    head: tuple[int, bytes] | None = None,
) -> int:
    """Append one event to its claimant's chain; returns its seq.

    `head` is the chain head the caller has already locked in this transaction (the protected
    request locks it before reading its token and grant). On the session's connection (the
    default) it does not commit: the caller commits the event with the action it records, or
    neither. On the guard's own connection (a Unit) the event ends the request's transaction:
    it is committed with the work, in one round trip on PostgreSQL.
    """
    with failures_counted():
        _refuse_separator(event)
        if isinstance(connection, Unit):  # the guard's own connection: it maps driver errors
            head = head or lock_head_on(connection.raw, connection.postgres, event.claimant_id)
            row = chained_row(event, head, now)
            if connection.savepoint is not None:  # a group commit's batch commits it
                connection.raw.execute(INSERT_EVENT_SQL, row).close()
            else:
                commit_event(connection.raw, connection.postgres, row)
            return row[1]
        conn = connection if connection is not None else db.session.connection()
        postgres = conn.dialect.name == "postgresql"
        with driver_errors(conn):
            raw = driver_connection(conn)
            head = head or lock_head_on(raw, postgres, event.claimant_id)
            row = chained_row(event, head, now)
            _add_event_moving_head(raw, postgres, row)
        return row[1]


@contextmanager
def failures_counted() -> Iterator[None]:
    """Count an append that raised (AuditWriteFailed, or the database refusing or gone) in
    broker_audit_write_failures_total: the action it was to record does not happen either."""
    try:
        yield
    except Exception:
        metrics.AUDIT_WRITE_FAILURES.inc()
        raise


def _refuse_separator(event: Event) -> None:
    for field in (event.actor, event.action, event.resource, event.outcome):
        if SEPARATOR in field:
            raise AuditWriteFailed("field holds the separator")


def chained_row(event: Event, head: tuple[int, bytes], now: datetime | None) -> tuple[Any, ...]:
    """The audit_events row for `event` after `head`: its fields, the previous hash, its hash."""
    prev_seq, prev_hash = head
    fields = (
        event.claimant_id,
        prev_seq + 1,
        clock.to_micros(now or clock.now()),
        event.token_id,
        event.grant_id,
        event.actor,
        event.action,
        event.resource,
        event.outcome,
    )
    return (*fields, prev_hash, link(prev_hash, canonical(*fields)))


def commit_event(raw: Any, postgres: bool, row: tuple[Any, ...]) -> None:
    """Insert the event (migration 0009's trigger moves the head) and commit the transaction.

    PostgreSQL: one round trip, COMMIT sent as a statement, because psycopg's commit() inside a
    pipeline waits for its own sync, and the pipeline's end for another.
    """
    if postgres:
        cursor = raw.cursor()
        try:
            with raw.pipeline():
                cursor.execute(INSERT_EVENT_PG_SQL, row)
                cursor.execute("COMMIT")
        finally:
            cursor.close()
        return
    raw.execute(INSERT_EVENT_SQL, row).close()
    raw.commit()


def add_in_transaction(
    raw: Any, postgres: bool, event: Event, head: tuple[int, bytes], now: datetime
) -> tuple[int, bytes]:
    """Add `event` after the held `head` without committing; returns the new head."""
    with failures_counted():
        _refuse_separator(event)
        row = chained_row(event, head, now)
        _add_event_moving_head(raw, postgres, row)
    return row[1], row[-1]


def _add_event_moving_head(raw: Any, postgres: bool, row: tuple[Any, ...]) -> None:
    """Insert the event and move the head in the caller's transaction, where the trigger has
    not already (migration 0006 appends before the trigger exists)."""
    claimant_id, seq, digest = row[0], row[1], row[-1]
    cursor = raw.cursor()
    try:
        if postgres:
            cursor.execute(_APPEND_FOLLOW_PG_SQL, (*row, seq, digest, claimant_id, seq))
        else:
            cursor.execute(INSERT_EVENT_SQL, row)
            cursor.execute(_FOLLOW_HEAD_SQL, (seq, digest, claimant_id, seq))
    finally:
        cursor.close()


def lock_head(conn: Connection, claimant_id: str) -> tuple[int, bytes]:
    """Lock and read a claimant's chain head in `conn`'s transaction, creating it on first use."""
    with driver_errors(conn):
        return lock_head_on(driver_connection(conn), conn.dialect.name == "postgresql", claimant_id)


def lock_head_on(raw: Any, postgres: bool, claimant_id: str) -> tuple[int, bytes]:
    """lock_head on a driver connection already in its transaction (the caller maps errors)."""
    lock = LOCK_HEAD_PG_SQL if postgres else LOCK_HEAD_SQL
    cursor = raw.cursor()
    try:
        row = cursor.execute(lock, (claimant_id,)).fetchone()
        if row is None:
            start = _START_CHAIN_PG_SQL if postgres else _START_CHAIN_SQL
            cursor.execute(start, (claimant_id, GENESIS))
            row = cursor.execute(lock, (claimant_id,)).fetchone()
    finally:
        cursor.close()
    return row[0], bytes(row[1])


def start_chain(claimant_id: str) -> None:
    """Create a claimant's chain head (idempotent), so that the first append has a row to lock."""
    conn = db.session.connection()
    postgres = conn.dialect.name == "postgresql"
    with driver_errors(conn):
        driver_connection(conn).execute(
            _START_CHAIN_PG_SQL if postgres else _START_CHAIN_SQL, (claimant_id, GENESIS)
        )


@dataclass(frozen=True, slots=True)
class Break:
    claimant_id: str
    seq: int
    reason: str


# Verification streams (claimant, seq, prev_hash, hash, content) where the database joins the
# canonical content, so that Python does only what must be independent of it: SHA-256 and the
# comparisons. The join is canonical() exactly: fields in order, separated by SEPARATOR, integers
# in decimal, UTF-8.
_STREAM_PG_SQL = (
    "SELECT claimant_id, seq, prev_hash, hash, convert_to(concat_ws(chr(31), claimant_id, seq,"
    " occurred_us, token_id, grant_id, actor, action, resource, outcome), 'UTF8')"
    " FROM audit_events ORDER BY claimant_id, seq"
)
_STREAM_SQLITE_SQL = (
    "SELECT claimant_id, seq, prev_hash, hash, CAST(claimant_id || char(31) || seq || char(31)"
    " || occurred_us || char(31) || token_id || char(31) || grant_id || char(31) || actor"
    " || char(31) || action || char(31) || resource || char(31) || outcome AS BLOB)"
    " FROM audit_events ORDER BY claimant_id, seq"
)
_HEADS_SQL = "SELECT claimant_id, seq, hash FROM audit_heads"


def verify(connection: Connection, batch: int = 20_000) -> Iterator[Break]:
    """Walk every chain once, streaming rows; yield the first broken link of each claimant.

    Heads and events are read in one snapshot (REPEATABLE READ on PostgreSQL, one read
    transaction on SQLite), so appends committing meanwhile are never mistaken for a break.
    """
    postgres = connection.dialect.name == "postgresql"
    if postgres and not connection.in_transaction():
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    with driver_errors(connection):
        yield from _verify(driver_connection(connection), postgres, batch)


def _verify(raw: Any, postgres: bool, batch: int) -> Iterator[Break]:
    cursor = raw.cursor()
    try:
        cursor.execute(_HEADS_SQL)
        heads = {row[0]: (row[1], bytes(row[2])) for row in cursor.fetchall()}
    finally:
        cursor.close()
    if postgres:
        stream = raw.cursor(name="audit_verify", binary=True)
        stream.itersize = batch
        stream.execute(_STREAM_PG_SQL)
    else:
        stream = raw.cursor()
        stream.arraysize = batch
        stream.execute(_STREAM_SQLITE_SQL)
    try:
        yield from _walk(stream, heads, batch)
    finally:
        stream.close()


def _walk(stream: Any, heads: dict[str, tuple[int, bytes]], batch: int) -> Iterator[Break]:
    sha = hashlib.sha256
    current: str | None = None
    expected_seq = 0
    prev = GENESIS
    skipping = False  # the current claimant's chain is already broken: report it once
    while rows := stream.fetchmany(batch):
        for claimant_id, seq, prev_hash, digest, content in rows:
            if claimant_id != current:
                if current is not None and not skipping:
                    tail = _check_tail(current, expected_seq, prev, heads)
                    if tail:
                        yield tail
                heads.pop(current, None)  # type: ignore[arg-type]
                current, expected_seq, prev, skipping = claimant_id, 1, GENESIS, False
            elif skipping:
                continue
            if seq != expected_seq:
                reason = f"expected event {expected_seq}, found {seq} (a row is missing or moved)"
            elif prev_hash != prev:
                reason = BROKEN_LINK
            elif sha(prev + content).digest() != digest:
                reason = CHANGED_ROW
            else:
                prev = digest
                expected_seq += 1
                continue
            skipping = True
            yield Break(claimant_id, seq, reason)
    if current is not None and not skipping:
        tail = _check_tail(current, expected_seq, prev, heads)
        if tail:
            yield tail
    heads.pop(current, None)  # type: ignore[arg-type]
    for claimant_id, (seq, _digest) in heads.items():
        if seq > 0:
            yield Break(claimant_id, 1, f"chain head is at event {seq} but no events remain")


def _check_tail(
    claimant_id: str, next_seq: int, last_hash: bytes, heads: dict[str, tuple[int, bytes]]
) -> Break | None:
    head = heads.get(claimant_id)
    if head is None:
        return Break(claimant_id, next_seq - 1, "events exist but the chain has no head")
    seq, digest = head
    if seq != next_seq - 1 or digest != last_hash:
        return Break(
            claimant_id,
            next_seq,
            f"chain head is at event {seq}; events end at "
            f"{next_seq - 1} (rows were removed from the end)",
        )
    return None


def events_for_grants(grant_ids: list[str], limit: int = 500) -> list[dict[str, object]]:
    """Events made under these grants, newest first, for the claimant's history page."""
    if not grant_ids:
        return []
    rows = db.session.execute(
        db.select(AuditEvent)
        .where(AuditEvent.grant_id.in_(grant_ids))
        .order_by(AuditEvent.occurred_us.desc(), AuditEvent.seq.desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "id": e.id,  # issue 27: "This wasn't right" names the line
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


@dataclass(frozen=True)
class Activity:
    """What a representative did under a grant in a period: reads counted by kind, every write."""

    reads: list[tuple[str, int]]  # (action, how many), most first
    writes: list[dict[str, object]]  # each write, newest first


def activity_since(grant_id: str, since: datetime, write_actions: frozenset[str]) -> Activity:
    """The allowed requests made under a grant since `since`, for the claimant's review page."""
    allowed = (
        AuditEvent.grant_id == grant_id,
        AuditEvent.outcome == "allowed",
        AuditEvent.occurred_us >= clock.to_micros(since),
    )
    counts = db.session.execute(
        db.select(AuditEvent.action, db.func.count())
        .where(*allowed, AuditEvent.action.not_in(write_actions))
        .group_by(AuditEvent.action)
        .order_by(db.func.count().desc(), AuditEvent.action)
    ).all()
    writes = db.session.scalars(
        db.select(AuditEvent)
        .where(*allowed, AuditEvent.action.in_(write_actions))
        .order_by(AuditEvent.occurred_us.desc())
    )
    return Activity(
        [(action, count) for action, count in counts],
        [
            {"at": clock.from_micros(e.occurred_us), "action": e.action, "resource": e.resource}
            for e in writes
        ],
    )
