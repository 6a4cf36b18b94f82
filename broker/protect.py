"""The resource guard: bearer token -> live token and grant -> scope -> claimant -> audit event.

Every protected request goes through `protected(...)`. It verifies the JWT, then locks the
claimant's audit chain head and only then reads the token and grant rows (two statements, one
round trip on PostgreSQL), so that a revoke that commits first is always seen, and an allowed
request always sits before the revoke in the chain. The audit event is appended in the same
transaction as the work, and committed with it in one round trip; if either fails, neither
happens. Refused requests with a token we can place are audited too.

On SQLite the head lock is the database's one write lock, so there every protected request is
serialised for its few plain statements; that is cheaper than checking twice (once in a snapshot
for the work, again under the lock for the record), which an earlier version did.

The hot path is lean by design (bench/README.md measures it): plain SQL on the driver connection
inside the session's transaction, statements written once, one round trip where two are needed.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.engine import Connection

from . import audit, clock, grants
from .extensions import db
from .models import AccessToken, Grant
from .tokens import ExpiredToken, InvalidToken, TokenService

log = logging.getLogger(__name__)

# The hot path runs plain SQL on the driver connection inside the session's transaction (see
# audit.py for why). Two statements, in this order: the lock must come first as a statement of
# its own, because PostgreSQL takes a READ COMMITTED statement's snapshot when the statement
# starts: a read joined to the lock in one statement would still see a grant that a revoke
# changed while the statement waited for the revoke to release the head.
_READ_SQL = (
    "SELECT t.revoked_at, t.scopes, t.client_id, g.id, g.status, g.adviser_id, g.review_at,"
    " g.ends_at, g.scopes FROM access_tokens t JOIN grants g ON g.id = t.grant_id"
    " WHERE t.jti = ? AND g.claimant_id = ?"
)
_READ_PG_SQL = audit.pg(_READ_SQL)


def _lock_head_and_read(conn: Connection, jti: str, sub: str) -> tuple[tuple[int, bytes], Any]:
    """Lock the claimant's chain head, then read the token and grant, in this transaction.

    Locking first is what makes revocation exact: a revoke that committed before the lock is
    seen by the read; one that commits after it is ordered after this request in the chain.
    """
    raw = audit.driver_connection(conn)
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        # One round trip: psycopg's pipeline sends both statements at once; the server still
        # runs them one after the other, the read with a snapshot taken after the lock.
        lock, read = raw.cursor(), raw.cursor()
        with raw.pipeline():
            lock.execute(audit.LOCK_HEAD_PG_SQL, (sub,))
            read.execute(_READ_PG_SQL, (jti, sub))
        head, row = lock.fetchone(), read.fetchone()
        if head is None:  # the claimant's chain has no head yet (first event ever)
            head = audit.lock_head_on(raw, postgres, sub)
            row = read.execute(_READ_PG_SQL, (jti, sub)).fetchone()
        return (head[0], bytes(head[1])), row
    head = audit.lock_head_on(raw, postgres, sub)
    return head, raw.execute(_READ_SQL, (jti, sub)).fetchone()


class _SQLiteWriters:
    """A writer queue for SQLite that wakes the next writer as soon as the last one commits.

    SQLite's busy handler sleeps (1, 2, 5, 10... ms) between tries for the write lock, so under
    load most of a waiting request's time is sleep after the lock was already free. Hot-path
    writers queue on an OS file lock beside the database instead (threads of one process on a
    thread lock first), which the kernel hands over at once, and that a killed worker releases.
    It only orders writers: SQLite's own lock still guards the data.
    """

    def __init__(self) -> None:
        self._threads = threading.Lock()
        self._held = threading.local()
        self._files: dict[tuple[int, str], int] = {}

    @contextmanager
    def queue(self, database: str | None) -> Iterator[None]:
        if not database or database == ":memory:" or getattr(self._held, "yes", False):
            yield  # in-memory, or a nested request on this thread (it must not wait on itself)
            return
        with self._threads:
            key = (os.getpid(), database)  # a forked worker opens its own file description
            fd = self._files.get(key)
            if fd is None:
                fd = self._files[key] = os.open(
                    f"{database}.writers", os.O_RDWR | os.O_CREAT, 0o600
                )
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._held.yes = True
            try:
                yield
            finally:
                self._held.yes = False
                fcntl.flock(fd, fcntl.LOCK_UN)


_sqlite_writers = _SQLiteWriters()


# What a path may name: identifiers are printable and short. Anything else names nothing (404),
# and never reaches a query (PostgreSQL refuses NUL in text) or the audit chain's separator.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
_LONGEST_ID = 100
_LONGEST_RESOURCE = 200  # the audit column's size


def _names_nothing(view_args: dict[str, Any] | None) -> bool:
    return any(
        isinstance(value, str) and (len(value) > _LONGEST_ID or _UNPRINTABLE.search(value))
        for value in (view_args or {}).values()
    )


def _recordable(resource: str) -> str:
    """The resource as the audit event records it: control characters replaced, length capped."""
    resource = _UNPRINTABLE.sub("\ufffd", resource)
    if len(resource) > _LONGEST_RESOURCE:
        resource = resource[: _LONGEST_RESOURCE - 1] + "\u2026"
    return resource


# No credentials at all: the challenge carries no error code (RFC 6750 3.1).
NO_TOKEN = "refused:no_token"  # noqa: S105 (an audit outcome, not a secret)


class Refused(Exception):
    """A protected request refused: an HTTP status, an OAuth error code, and the audit outcome."""

    def __init__(
        self, status: int, error: str, description: str, outcome: str, *, scope: str | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.outcome = outcome
        self.scope = scope  # insufficient_scope: the scope the request needed (RFC 6750 3)
        self.access: Access | None = None  # who was refused, when the guard could place them


@dataclass(frozen=True, slots=True)
class Access:
    """Who is asking, under which token and grant, on whose behalf."""

    token_id: str
    grant_id: str
    claimant_id: str
    adviser_id: str | None
    client_id: str
    scopes: tuple[str, ...]
    now: datetime

    @property
    def actor(self) -> str:
        return f"adviser:{self.adviser_id}" if self.adviser_id else f"client:{self.client_id}"

    def event(self, action: str, resource: str, outcome: str) -> audit.Event:
        return audit.Event(
            self.claimant_id, self.token_id, self.grant_id, self.actor, action, resource, outcome
        )


def bearer_token() -> str:
    """The token from `Authorization: Bearer ...` (RFC 6750 2.1); never from the URL."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(401, "invalid_request", "A bearer token is required", NO_TOKEN)
    return token.strip()


@contextmanager
def protected(scope: str, *, action: str, resource: str) -> Iterator[Access]:
    """Run the block only for a live token whose grant covers `scope`; audit either way."""
    now = clock.now()
    resource = _recordable(resource)
    service: TokenService = current_app.extensions["broker.tokens"]
    database = current_app.extensions["broker.sqlite_database"]
    try:
        claims = service.verify(bearer_token(), now=now)
    except ExpiredToken as exc:
        # Genuine (signed by us, checked with the time left out) but out of time: it names
        # its claimant and grant, so the refusal goes on their chain like any other.
        refusal = Refused(
            401, "invalid_token", "The access token has expired", "refused:token_expired"
        )
        with _sqlite_writers.queue(database):
            refusal.access = _expired_access(exc.claims, now)
            log.info("refused expired access token %s", exc.claims.get("jti"))
            _record_refusal(refusal, action, resource, now)
        raise refusal from None
    except InvalidToken as exc:
        log.info("refused a bearer token: %s", exc)
        raise Refused(
            401, "invalid_token", "The access token is not valid", "refused:token"
        ) from None
    yield from _locked_throughout(scope, action, resource, claims, now, database)


def _expired_access(claims: dict[str, Any], now: datetime) -> Access | None:
    """Who an expired token was issued to, from its row (None if we hold no such token)."""
    row = db.session.execute(
        select(AccessToken.client_id, AccessToken.scopes, Grant.id, Grant.adviser_id)
        .join(Grant, Grant.id == AccessToken.grant_id)
        .where(AccessToken.jti == str(claims["jti"]), Grant.claimant_id == str(claims["sub"]))
    ).first()
    if row is None:
        return None
    client_id, token_scopes, grant_id, adviser_id = row
    return Access(
        str(claims["jti"]),
        grant_id,
        str(claims["sub"]),
        adviser_id,
        client_id,
        tuple(token_scopes.split()),
        now,
    )


def _locked_throughout(
    scope: str,
    action: str,
    resource: str,
    claims: dict[str, Any],
    now: datetime,
    database: str | None,
) -> Iterator[Access]:
    """Lock the chain head, check, do the work and record it, all in one transaction.

    On PostgreSQL the head is a row lock: only one claimant's requests queue. On SQLite it is
    the database's write lock, taken in the order of the writers' queue.
    """
    # Queue before the transaction begins: a POST's BEGIN IMMEDIATE takes SQLite's lock, and
    # taking ours after it could wait on a reader that holds ours and waits for SQLite's.
    with _sqlite_writers.queue(database):
        connection = db.session.connection()
        try:
            head, access = _lock_and_check(connection, scope, claims, now)
        except Refused as refusal:
            _record_refusal(refusal, action, resource, now)
            raise
        try:
            yield access
        except Refused as refusal:
            refusal.access = access
            _record_refusal(refusal, action, resource, now)
            raise
        except BaseException:
            db.session.rollback()
            raise
        try:
            db.session.flush()
            # The work and its audit event commit together, or not at all (one round trip).
            audit.append(
                access.event(action, resource, "allowed"),
                now=now,
                head=head,
                connection=connection,
                commit=True,
            )
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def _lock_and_check(
    connection: Connection, scope: str, claims: dict[str, Any], now: datetime
) -> tuple[tuple[int, bytes], Access]:
    """Lock the claimant's chain head and check the token and grant.

    Raises Refused; a refusal that names a token we hold carries its Access, for its audit event.
    """
    with audit.driver_errors(connection):
        head, row = _lock_head_and_read(connection, claims["jti"], claims["sub"])
    if row is None:
        log.warning("refused token %s: no such token row", claims["jti"])
        raise Refused(401, "invalid_token", "The access token is not valid", "refused:token")
    (
        revoked_at,
        token_scopes,
        client_id,
        grant_id,
        status,
        adviser_id,
        review_at,
        ends_at,
        grant_scopes,
    ) = row
    # What the token names and the grant still allows: a narrowed grant revokes its tokens, and
    # this keeps a token that escaped that from reaching past the grant.
    allowed = set(grant_scopes.split())
    access = Access(
        claims["jti"],
        grant_id,
        claims["sub"],
        adviser_id,
        client_id,
        tuple(name for name in token_scopes.split() if name in allowed),
        now,
    )
    refusal = None
    if not grants.authorises(status, clock.from_driver(review_at), clock.from_driver(ends_at), now):
        refusal = Refused(
            401,
            "invalid_token",
            "The grant behind this token is not active",
            "refused:grant_inactive",
        )
    elif revoked_at is not None:  # the grant lives on: narrowed, or the client revoked it
        refusal = Refused(
            401,
            "invalid_token",
            "This access token was revoked or replaced: get a new one with your refresh token",
            "refused:token_revoked",
        )
    elif scope not in access.scopes:
        refusal = Refused(
            403,
            "insufficient_scope",
            f"This grant does not allow {scope}",
            "refused:scope",
            scope=scope,
        )
    elif _names_nothing(request.view_args):
        refusal = Refused(404, "not_found", "Nothing has that ID", "refused:not_found")
    if refusal is not None:  # the caller rolls back and records it
        refusal.access = access
        raise refusal
    return head, access


def _record_refusal(refusal: Refused, action: str, resource: str, now: datetime) -> None:
    """Audit a refused request in a transaction of its own (the work, if any, is rolled back).

    A refusal we cannot place (no such token) has no claimant's chain to go in.
    """
    db.session.rollback()
    if refusal.access is None:
        return
    # The rollback released any head lock: take it again for the refusal's own event.
    audit.append(refusal.access.event(action, resource, refusal.outcome), now=now)
    db.session.commit()
