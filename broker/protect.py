"""The resource guard: bearer token -> live token and grant -> scope -> claimant -> audit event.

Every protected request goes through `protected(...)`. It verifies the JWT, then in one statement
locks the claimant's audit chain head and reads the token and grant rows, so that a revoke that
commits first is always seen, and an allowed request always sits before the revoke in the chain.
The audit event is appended in the same transaction as the work; if either fails, neither
happens. Refused requests with a token we can place are audited too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, request
from sqlalchemy import column, text
from sqlalchemy.engine import Connection, Row

from . import audit, clock, grants
from .db import UTCDateTime
from .extensions import db
from .tokens import InvalidToken, TokenService

log = logging.getLogger(__name__)

_TOKEN_AND_GRANT_COLUMNS = (
    column("seq"), column("hash"), column("revoked_at", UTCDateTime), column("scopes"),
    column("client_id"), column("id"), column("status"), column("adviser_id"),
    column("review_at", UTCDateTime), column("ends_at", UTCDateTime),
)  # fmt: skip
_FROM_TOKEN_AND_GRANT = (
    " FROM access_tokens t JOIN grants g ON g.id = t.grant_id"
    " WHERE t.jti = :jti AND g.claimant_id = :sub"
)
# PostgreSQL: lock the chain head and read token and grant in one round trip.
_LOCK_AND_READ = text(
    "WITH h AS (UPDATE audit_heads SET seq = seq WHERE claimant_id = :sub RETURNING seq, hash)"
    " SELECT h.seq, h.hash, t.revoked_at, t.scopes, t.client_id, g.id, g.status, g.adviser_id,"
    " g.review_at, g.ends_at FROM h CROSS JOIN access_tokens t JOIN grants g ON g.id = t.grant_id"
    " WHERE t.jti = :jti AND g.claimant_id = :sub"
).columns(*_TOKEN_AND_GRANT_COLUMNS)
# SQLite (in-process, no round trip to save): lock first, then read.
_READ = text(
    "SELECT :seq AS seq, :hash AS hash, t.revoked_at, t.scopes, t.client_id, g.id, g.status,"
    " g.adviser_id, g.review_at, g.ends_at" + _FROM_TOKEN_AND_GRANT
).columns(*_TOKEN_AND_GRANT_COLUMNS)


def _lock_head_and_read(conn: Connection, jti: str, sub: str) -> Row[Any] | None:
    """Lock the claimant's chain head, then read the token and grant, in this transaction.

    Locking first is what makes revocation exact: a revoke that committed before the lock is
    seen by the read; one that commits after it is ordered after this request in the chain.
    """
    if conn.dialect.name == "postgresql":
        row = conn.execute(_LOCK_AND_READ, {"jti": jti, "sub": sub}).first()
        if row is not None:
            return row
    seq, head_hash = audit.lock_head(conn, sub)
    return conn.execute(_READ, {"jti": jti, "sub": sub, "seq": seq, "hash": head_hash}).first()


class Refused(Exception):
    """A protected request refused: an HTTP status, an OAuth error code, and the audit outcome."""

    def __init__(self, status: int, error: str, description: str, outcome: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.outcome = outcome


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
        return audit.Event(self.claimant_id, self.token_id, self.grant_id, self.actor, action,
                           resource, outcome)  # fmt: skip


def bearer_token() -> str:
    """The token from `Authorization: Bearer ...` (RFC 6750 2.1); never from the URL."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(401, "invalid_request", "A bearer token is required", "refused:no_token")
    return token.strip()


@contextmanager
def protected(scope: str, *, action: str, resource: str) -> Iterator[Access]:
    """Run the block only for a live token whose grant covers `scope`; audit either way."""
    now = clock.now()
    service: TokenService = current_app.extensions["broker.tokens"]
    try:
        claims = service.verify(bearer_token(), now=now)
    except InvalidToken as exc:
        log.info("refused a bearer token: %s", exc)
        raise Refused(401, "invalid_token", "The access token is not valid", "refused:token")
    row = _lock_head_and_read(db.session.connection(), claims["jti"], claims["sub"])
    if row is None:
        db.session.rollback()
        log.warning("refused token %s: no such token row", claims["jti"])
        raise Refused(401, "invalid_token", "The access token is not valid", "refused:token")
    seq, head_hash, revoked_at, token_scopes, client_id, grant_id, status, adviser_id, \
        review_at, ends_at = row  # fmt: skip
    access = Access(claims["jti"], grant_id, claims["sub"], adviser_id, client_id,
                    tuple(token_scopes.split()), now)  # fmt: skip
    head = (seq, bytes(head_hash))
    try:
        if revoked_at is not None or not grants.authorises(status, review_at, ends_at, now):
            raise Refused(401, "invalid_token", "The grant behind this token is not active",
                          "refused:grant_inactive")  # fmt: skip
        if scope not in access.scopes:
            raise Refused(403, "insufficient_scope", f"This grant does not allow {scope}",
                          "refused:scope")  # fmt: skip
        yield access
    except Refused as refusal:
        db.session.rollback()
        # The rollback released the head lock: take it again for the refusal's own event.
        audit.append(access.event(action, resource, refusal.outcome), now=now)
        db.session.commit()
        raise
    except BaseException:
        db.session.rollback()
        raise
    try:
        audit.append(access.event(action, resource, "allowed"), now=now, head=head)
        db.session.commit()  # the work and its audit event commit together, or not at all
    except BaseException:
        db.session.rollback()
        raise
