"""The resource guard: bearer token -> live token and grant -> scope -> claimant -> audit event.

A domain module: the web layer hands it the token, the view's arguments and the services it
needs (web/guarded.py). It verifies the JWT, then, in one transaction on a driver connection of
its own (driver.py, outside the ORM session), holds the claimant's audit chain head and only then
reads the token and grant rows, so that a revoke that commits first is always seen and an allowed
request always sits before the revoke in the chain. The work and its audit event commit together;
if either fails, neither happens. Refused requests with a token we can place are audited too.

Statements per allowed read (bench/README.md measures them):
- SQLite: BEGIN IMMEDIATE takes the database's one write lock, so the head needs no lock of its
  own: it is read with the token, the grant and the resource the request names, in one joined
  SELECT; then the event's INSERT and COMMIT.
- PostgreSQL: the head is a row lock (only one claimant's requests queue), taken by a statement
  of its own before the read, in one pipeline with it; then the event with COMMIT in a second.
- A DPoP request (RFC 9449) adds one INSERT of its proof's jti, in the same transaction (on
  PostgreSQL in the first round trip, with the lock and the read); a Bearer request adds
  nothing.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from .. import clock, metrics
from ..chain import audit
from ..consent import disclosure, windows
from ..driver import Driver, Joined, Unit, pg
from . import dpop
from .batches import Batches
from .tokens import ExpiredToken, InvalidToken, TokenService

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rule:
    """What a protected view declares: the scope it needs, the audit action, the resource it
    names (formatted with the view's arguments), and the row it reads with the check, by which
    argument."""

    scope: str | tuple[str, ...]  # a tuple: any one of these will do (the view asks for more)
    action: str
    resource: str
    joined: Joined | None = None
    by: str | None = None


_CHECKED = (
    "t.revoked_at, t.scopes, t.client_id, g.id, g.status, g.adviser_id, g.review_at, g.ends_at,"
    " g.scopes, g.date_from, g.date_to"
)
_CHECKED_COUNT = _CHECKED.count(",") + 1  # the joined resource's columns follow these


def _joined(joined: Joined | None, claimant: str) -> tuple[str, str]:
    if joined is None:
        return "", ""
    columns = "".join(f", r.{name}" for name in joined.columns)
    return columns, f" LEFT JOIN {joined.table} r ON r.id = ? AND r.claimant_id = {claimant}"


def _sqlite_check_sql(joined: Joined | None) -> str:
    """The head, the token and grant, and the resource: one read under the write lock."""
    columns, join = _joined(joined, "h.claimant_id")
    return (
        f"SELECT h.seq, h.hash, {_CHECKED}{columns} FROM audit_heads h"  # noqa: S608
        " LEFT JOIN access_tokens t ON t.jti = ?"
        " LEFT JOIN grants g ON g.id = t.grant_id AND g.claimant_id = h.claimant_id"
        f"{join} WHERE h.claimant_id = ?"
    )


def _pg_check_sql(joined: Joined | None) -> str:
    """The token and grant, and the resource, read after the head lock.

    A statement of its own after the lock: PostgreSQL takes a READ COMMITTED statement's
    snapshot when the statement starts, so a read joined to the lock in one statement would
    still see a grant that a revoke changed while the statement waited for the revoke to release
    the head.
    """
    columns, join = _joined(joined, "g.claimant_id")
    return pg(
        f"SELECT {_CHECKED}{columns} FROM access_tokens t"  # noqa: S608
        f" JOIN grants g ON g.id = t.grant_id{join} WHERE t.jti = ? AND g.claimant_id = ?"
    )


@functools.cache
def check_sql(postgres: bool, joined: Joined | None) -> str:
    """The guard's read for this database and resource (the yardstick in bench/ runs it too)."""
    return _pg_check_sql(joined) if postgres else _sqlite_check_sql(joined)


def _hold_head_and_read(
    unit: Unit,
    jti: str,
    sub: str,
    joined: Joined | None,
    ident: str | None,
    proof: dpop.Proof | None = None,
) -> tuple[tuple[int, bytes], Any, bool]:
    """Hold the claimant's chain head and read the token, grant and resource, in that order;
    with a DPoP `proof`, spend it too (RFC 9449 11.1: its jti is stored, once).

    Holding the head first is what makes revocation exact: a revoke that committed before is
    seen by the read; one that commits after it is ordered after this request in the chain.
    Returns the head, the row (the token's columns, None where we hold no such token, then
    the resource's) and whether the proof was new (True without one). On PostgreSQL the proof's
    INSERT goes in the same round trip as the lock and the read. So a proof sent with a token
    that is then refused may be spent with it: a proof is good for one request either way.
    """
    sql = check_sql(unit.postgres, joined)
    if unit.postgres:
        params = (ident, jti, sub) if joined else (jti, sub)
        lock, read = unit.raw.cursor(), unit.raw.cursor()
        spend = None if proof is None else unit.raw.cursor()  # a Bearer request makes none
        with unit.raw.pipeline():  # one round trip; the server still runs them in order
            lock.execute(audit.LOCK_HEAD_PG_SQL, (sub,))
            read.execute(sql, params)
            if spend is not None:
                spend.execute(pg(dpop.REMEMBER_SQL), _spent_row(unit, proof))
        head, row = lock.fetchone(), read.fetchone()
        new = spend is None or spend.rowcount == 1
        if spend is not None:
            spend.close()
        if head is None:  # the claimant's chain has no head yet (first event ever)
            head = audit.lock_head_on(unit.raw, True, sub)
            row = unit.raw.execute(sql, params).fetchone()
        return (head[0], bytes(head[1])), row, new
    params = (jti, ident, sub) if joined else (jti, sub)
    row = unit.raw.execute(sql, params).fetchone()
    if row is None:
        audit.lock_head_on(unit.raw, False, sub)  # starts the chain
        row = unit.raw.execute(sql, params).fetchone()
    new = proof is None or _spend(unit, proof)
    head = (row[0], bytes(row[1]))
    row = row[2:]
    return head, (None if row[3] is None else row), new  # no grant joined: no token of ours


_batches = Batches()


@contextmanager
def _transaction(driver: Driver, sqlite_database: str | None) -> Iterator[Unit]:
    """The guard's transaction, begun. On a SQLite file: a place in this process's group commit
    (batches.py: its writers queue on a file lock, and the requests that arrive together commit
    together). Otherwise one of its own: on PostgreSQL the server's own group commit joins the
    commits of every worker and thread."""
    if sqlite_database and sqlite_database != ":memory:":
        with _batches.transaction(driver, sqlite_database, keep=(Refused,)) as unit:
            yield unit
        return
    with driver.unit() as unit:
        unit.begin()
        yield unit


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
_LONGEST_RESOURCE = 200  # the audit column's size


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
        self,
        status: int,
        error: str,
        description: str,
        outcome: str,
        *,
        scope: str | None = None,
        dpop: bool = False,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.outcome = outcome
        self.scope = scope  # insufficient_scope: the scope the request needed (RFC 6750 3)
        self.access: Access | None = None  # who was refused, when the guard could place them
        self.dpop = dpop  # answered with a DPoP challenge (RFC 9449 7.1), not a Bearer one
        self.details = details or {}  # more fields for the JSON body (what screening found)


@dataclass(frozen=True, slots=True)
class Sender:
    """A token presented with `Authorization: DPoP`: its proof (None if the DPoP header was
    missing) and the request the proof must be for."""

    proof: str | None
    method: str
    url: str
    nonces: dpop.Nonces


DPOP_REQUIRED = "refused:dpop_required"
DPOP_PROOF = "refused:dpop_proof"
DPOP_NONCE = "refused:dpop_nonce"
DPOP_REPLAY = "refused:dpop_replay"


def _sender_check(
    sender: Sender | None, token: str, claims: Mapping[str, Any], now: datetime
) -> dpop.Proof | Refused | None:
    """The checked proof of a DPoP request (None for Bearer), else the Refused to raise once
    the token and grant are placed: a bound token sent as Bearer, a bearer token sent as DPoP,
    or a proof that does not fit. Needs no database, so it runs before the guard's transaction
    (a signature check under SQLite's one write lock would hold every other request up)."""
    bound = claims.get("cnf")
    if sender is None:
        if bound is None:
            return None
        return Refused(
            401,
            "invalid_token",
            "This access token is bound to a key: send it as DPoP with a proof",
            DPOP_REQUIRED,
            dpop=True,
        )
    jkt = bound.get("jkt") if isinstance(bound, dict) else None
    try:
        if jkt is None:
            raise dpop.ProofRefused("This access token is not DPoP-bound: send it as Bearer")
        return dpop.check(
            sender.proof or "",
            method=sender.method,
            url=sender.url,
            now=now,
            nonces=sender.nonces,
            access_token=token,
            jkt=jkt,
        )
    except dpop.ProofRefused as exc:
        outcome = DPOP_NONCE if isinstance(exc, dpop.NonceNeeded) else DPOP_PROOF
        return Refused(401, exc.error, str(exc), outcome, dpop=True)


def _spent_row(unit: Unit, proof: dpop.Proof) -> tuple[str, Any]:
    return proof.jti_hash, clock.to_driver(proof.expires_at, postgres=unit.postgres)


def _spend(unit: Unit, proof: dpop.Proof) -> bool:
    """Store the proof's jti in the guard's transaction (a request that does not commit leaves
    no record); whether it was new."""
    cursor = unit.raw.execute(unit.sql(dpop.REMEMBER_SQL), _spent_row(unit, proof))
    inserted = cursor.rowcount
    cursor.close()
    return inserted == 1


def _refuse_replay(new: bool) -> None:
    """A proof used before is refused before the work runs, so no data is read for it."""
    if not new:
        metrics.DPOP_REPLAYS.labels("resource").inc()
        raise Refused(
            401, "invalid_dpop_proof", "This DPoP proof was used before", DPOP_REPLAY, dpop=True
        )


@dataclass(frozen=True, slots=True)
class Access:
    """Who is asking, under which token and grant, on whose behalf; and the row the request
    names, read with the check (None when it names none, or none of this claimant's)."""

    token_id: str
    grant_id: str
    claimant_id: str
    adviser_id: str | None
    client_id: str
    scopes: tuple[str, ...]
    now: datetime
    found: Any = None
    # The grant's date window (windows.py): reads serve only rows dated inside it.
    window: windows.Window = windows.OPEN

    @property
    def actor(self) -> str:
        return f"adviser:{self.adviser_id}" if self.adviser_id else f"client:{self.client_id}"

    def event(self, action: str, resource: str, outcome: str) -> audit.Event:
        return audit.Event(
            self.claimant_id, self.token_id, self.grant_id, self.actor, action, resource, outcome
        )


def guard(
    rule: Rule,
    work: Callable[[Access, Unit], T],
    *,
    token: str,
    view_args: Mapping[str, Any],
    tokens: TokenService,
    driver: Driver,
    sqlite_database: str | None,
    sender: Sender | None = None,
) -> T:
    """Run `work` only for a live token whose grant covers the rule's scope; audit either way.

    `sender`: the token came as DPoP (RFC 9449 7), with the proof to check; a token bound to a
    key is refused without one.

    `work` gets the Access and the transaction's Unit; what it returns is returned once the
    work and its audit event have committed together.
    """
    now = clock.now()
    resource = _recordable(rule.resource.format_map(view_args))
    try:
        claims = tokens.verify(token, now=now)
    except ExpiredToken as exc:
        # Genuine (signed by us, checked with the time left out) but out of time: it names
        # its claimant and grant, so the refusal goes on their chain like any other.
        log.info("refused expired access token %s", exc.claims.get("jti"))
        refusal = Refused(
            401, "invalid_token", "The access token has expired", "refused:token_expired"
        )
        with _transaction(driver, sqlite_database) as unit:
            head, row, _new = _hold_head_and_read(
                unit, exc.claims["jti"], exc.claims["sub"], None, None
            )
            if row is not None:
                refusal.access = _access(exc.claims, row, now, None)
                event = refusal.access.event(rule.action, resource, refusal.outcome)
                _record(unit, event, head, now)
        raise refusal from None
    except InvalidToken as exc:
        log.info("refused a bearer token: %s", exc)
        raise Refused(
            401, "invalid_token", "The access token is not valid", "refused:token"
        ) from None
    ident = str(view_args[rule.by]) if rule.by else None
    sent = _sender_check(sender, token, claims, now)
    with _transaction(driver, sqlite_database) as unit:
        proof = None if isinstance(sent, Refused) else sent
        head, row, new = _hold_head_and_read(
            unit, claims["jti"], claims["sub"], rule.joined, ident, proof
        )
        unit.head = head
        access: Access | None = None
        try:
            access = _check(rule.scope, claims, row, now)
            if isinstance(sent, Refused):
                raise sent
            _refuse_replay(new)
            result = work(access, unit)
            head = unit.head
        except Refused as refusal:
            refusal.access = refusal.access or access
            if refusal.access is not None:
                if unit.wrote:  # the work's changes go; the refusal is recorded on its own
                    unit.rollback()
                    unit.begin()
                    head = audit.lock_head_on(unit.raw, unit.postgres, refusal.access.claimant_id)
                    if proof is not None and refusal.outcome != DPOP_REPLAY:
                        _spend(unit, proof)  # the proof was spent all the same
                event = refusal.access.event(rule.action, resource, refusal.outcome)
                _record(unit, event, head, now)
            raise
        # The work and its audit event commit together, or not at all (one round trip on
        # PostgreSQL).
        action, resource = unit.recorded_as or (rule.action, resource)
        _record(unit, access.event(action, resource, "allowed"), head, now)
        return result


def record_as(unit: Unit, action: str, resource: str) -> None:
    """Record the allowed request as what the work did instead of the rule's action and resource
    (an MR request kept as a draft is not an MR request lodged; one lodged names its entry)."""
    unit.recorded_as = (action, _recordable(resource))


def also_audit(
    unit: Unit,
    access: Access,
    action: str,
    resource: str,
    now: datetime,
    token_id: str | None = None,
) -> None:
    """Add an event of the work's own to the chain before the guard's, in its transaction: it
    commits with the work and the guard's event, or not at all. `token_id`: the token the step
    belongs to, when not the asker's (a draft's expiry names the token that drafted it)."""
    event = audit.Event(
        access.claimant_id,
        token_id or access.token_id,
        access.grant_id,
        access.actor,
        action,
        _recordable(resource),
        "done",
    )
    add_event(unit, event, now)


def add_event(unit: Unit, event: audit.Event, now: datetime) -> int:
    """Add `event` to the chain whose head the guard holds, before the guard's own, in its
    transaction (also_audit's, or one made whole by the caller); returns its seq."""
    assert unit.head is not None, "only inside guard()"  # noqa: S101 (a programming error)
    unit.head = audit.add_in_transaction(unit.raw, unit.postgres, event, unit.head, now)
    unit.wrote = True
    return unit.head[0]


def _record(unit: Unit, event: audit.Event, head: tuple[int, bytes], now: datetime) -> None:
    audit.append(event, now=now, connection=unit, head=head)


def _access(claims: Mapping[str, Any], row: Any, now: datetime, found: Any) -> Access:
    """Who the token was issued to: what it names and the grant still allows (a narrowed grant
    revokes its tokens, and this keeps a token that escaped that from reaching past the grant)."""
    _revoked, token_scopes, client_id, grant_id, _status, adviser_id, _r, _e, grant_scopes = row[:9]
    allowed = set(grant_scopes.split())
    return Access(
        str(claims["jti"]),
        grant_id,
        str(claims["sub"]),
        adviser_id,
        client_id,
        tuple(name for name in token_scopes.split() if name in allowed),
        now,
        found,
        windows.stored(row[9], row[10]),
    )


def _check(
    scope: str | tuple[str, ...], claims: Mapping[str, Any], row: Any, now: datetime
) -> Access:
    """The Access of a live token whose grant covers `scope` (or one of them), else Refused
    (carrying the Access when the token is one we hold, for its audit event)."""
    if row is None:
        log.warning("refused token %s: no such token row", claims["jti"])
        raise Refused(401, "invalid_token", "The access token is not valid", "refused:token")
    revoked_at, status, review_at, ends_at = row[0], row[4], row[6], row[7]
    found = (
        row[_CHECKED_COUNT:]
        if len(row) > _CHECKED_COUNT and row[_CHECKED_COUNT] is not None
        else None
    )
    access = _access(claims, row, now, found)
    if not isinstance(scope, str):  # any one of them: the first the token holds, else all named
        held = [name for name in scope if name in access.scopes]
        scope = held[0] if held else " ".join(scope)
    consent = disclosure.Consent(
        status,
        clock.from_driver(review_at),
        clock.from_driver(ends_at),
        access.scopes,  # already the token's scopes the grant still holds
        access.window,
    )
    # The disclosure rule; the row's own date is asked of it when the row is read (journal.py).
    reason = disclosure.why_not(consent, scope, now)
    refusal = None
    if reason == disclosure.GRANT_INACTIVE:
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
    elif reason == disclosure.SCOPE_MISSING:
        refusal = Refused(
            403,
            "insufficient_scope",
            f"This grant does not allow {scope}",
            "refused:scope",
            scope=scope,
        )
    if refusal is not None:
        refusal.access = access
        raise refusal
    return access
