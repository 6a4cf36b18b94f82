"""Bench data, written straight into the tables in bulk (the domain functions hash a password per
account with Argon2, which is right for people and far too slow for 200 000 of them).

Every row is what the domain would have written: grants within their caps, audit chains whose
hashes are computed with `broker.chain.audit`'s own canonical form, tokens signed by the app's key.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import Connection, Table, text
from tqdm import tqdm

from broker import clock, services
from broker.chain import audit
from broker.consent import grants
from broker.extensions import db
from broker.models import AccessToken

PASSWORD = "bench-password"  # noqa: S105 (bench accounts on a throwaway database)
READ_SCOPES = "mr:read journal:read"


def new_id() -> str:
    return str(uuid.uuid4())


def table(name: str) -> Table:
    return db.metadata.tables[name]


def insert(conn: Connection, name: str, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table(name).insert(), list(rows))


def copy_rows(
    conn: Connection,
    name: str,
    columns: Sequence[str],
    rows: Iterable[tuple],
    *,
    total: int,
    label: str,
    chunk: int = 50_000,
) -> None:
    """Load many rows fast: COPY on PostgreSQL, executemany on SQLite; shows a progress bar."""
    bar = tqdm(total=total, desc=label, unit="row", unit_scale=True, leave=False, mininterval=0.5)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                bar.update()
    else:
        placeholders = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
        cursor = conn.connection.driver_connection.cursor()
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                cursor.executemany(sql, batch)
                bar.update(len(batch))
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            bar.update(len(batch))
    bar.close()


def db_time(conn: Connection, moment: datetime) -> Any:
    """A timestamp as the UTCDateTime column stores it on this database."""
    return moment.replace(tzinfo=None) if conn.dialect.name == "sqlite" else moment


@dataclass
class Reader:
    """One adviser token under one claimant's grant, and a decision it may read."""

    claimant_id: str
    grant_id: str
    decision_id: str
    token: str
    jti: str


def organisation_and_adviser(conn: Connection, now: datetime) -> tuple[str, str]:
    org_id, adviser_id = new_id(), new_id()
    insert(conn, "organisations", [{"id": org_id, "name": "Bench Advice Centre"}])
    insert(
        conn,
        "accounts",
        [
            {
                "id": adviser_id,
                "username": f"adviser-{adviser_id}@bench.example",
                "password_hash": _password_hash(),
                "role": "adviser",
                "name": "Bench Adviser",
                "language": "en",
                "created_at": now,
            }
        ],
    )
    insert(
        conn,
        "advisers",
        [{"id": adviser_id, "organisation_id": org_id, "code": f"B{adviser_id[:8].upper()}"}],
    )
    return org_id, adviser_id


_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        _HASH.append(PasswordHasher().hash(PASSWORD))  # the app's default cost
    return _HASH[0]


def claimants_with_grants(
    conn: Connection, count: int, adviser_id: str, *, now: datetime, prefix: str = "BENCH"
) -> list[tuple[str, str, str, str]]:
    """`count` claimants, each with an active 3-month read grant to the adviser, an MR decision
    and an empty audit chain. Returns (claimant_id, username, grant_id, decision_id) for each."""
    ends = grants.add_months(now, 3)
    grants.check_end(READ_SCOPES.split(), starts_at=now, ends_at=ends)
    out = []
    accounts_, claimants_, grants_, decisions, heads = [], [], [], [], []
    t = now
    for n in range(count):
        cid, gid, did = new_id(), new_id(), new_id()
        username = f"{prefix.lower()}-{n}-{cid[:8]}@bench.example"
        accounts_.append(
            {
                "id": cid,
                "username": username,
                "password_hash": _password_hash(),
                "role": "claimant",
                "name": f"Bench Claimant {n}",
                "language": "en",
                "created_at": t,
            }
        )
        claimants_.append(
            {
                "id": cid,
                "reference": f"{prefix}-{n:06d}-{cid[:4].upper()}",
                "partner_id": None,
                "additional_support": None,
            }
        )
        grants_.append(_grant_row(gid, cid, adviser_id, READ_SCOPES, now, ends))
        decisions.append(
            {
                "id": did,
                "claimant_id": cid,
                "decided_at": now - timedelta(days=2),
                "subject": "Limited capability for work",
                "outcome": "not_changed",
                "body": "We looked at your claim again: no change.",
            }
        )
        heads.append({"claimant_id": cid, "seq": 0, "hash": audit.GENESIS})
        out.append((cid, username, gid, did))
    for name, rows in (
        ("accounts", accounts_),
        ("claimants", claimants_),
        ("grants", grants_),
        ("mr_decisions", decisions),
        ("audit_heads", heads),
    ):
        insert(conn, name, rows)
    return out


def _grant_row(
    gid: str, cid: str, adviser_id: str | None, scopes: str, now: datetime, ends: datetime
) -> dict[str, Any]:
    t = now
    return {
        "id": gid,
        "kind": "access",
        "claimant_id": cid,
        "adviser_id": adviser_id,
        "representative_name": "Bench Adviser",
        "organisation_name": "Bench Advice Centre",
        "client_id": None,
        "scopes": scopes,
        "purpose": "Help with an appeal",
        "relationship": "Welfare rights adviser",
        "information": "MR decisions; journal",
        "authorization_details": None,
        "status": "active",
        "created_at": t,
        "starts_at": t,
        "review_at": ends,
        "ends_at": ends,
        "recorded_by": "claimant",
        "recorded_by_staff_id": None,
        "reviewed_at": None,
        "suspended_at": None,
        "suspension_reason": None,
        "ended_at": None,
        "ended_by": None,
        "end_reason": None,
    }


class _GrantView:
    """What TokenService.issue reads from a grant."""

    def __init__(self, grant_id: str, claimant_id: str, ends_at: datetime) -> None:
        self.id, self.claimant_id, self.ends_at = grant_id, claimant_id, ends_at


def mint_tokens(
    app: Flask,
    wanted: Sequence[tuple[str, str, str]],
    *,
    now: datetime,
    client_id: str = "bench-client",
    jkt: str | None = None,
) -> list[tuple[str, str]]:
    """Sign one access token per (claimant_id, grant_id, scopes) with the app's key; store jtis.
    With `jkt`, each token is DPoP-bound to the key with that thumbprint."""
    service = services.of(app).tokens
    ends = grants.add_months(now, 3)
    out = []
    for claimant_id, grant_id, scopes in wanted:
        token, row, _ = service.issue(
            _GrantView(grant_id, claimant_id, ends),
            client_id=client_id,
            scopes=tuple(scopes.split()),
            now=now,
            jkt=jkt,
        )
        out.append((token, row.jti))
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(AccessToken)) >= len(out)
    return out


def readers(app: Flask, count: int, *, now: datetime) -> list[Reader]:
    """`count` claimants each with a grant, a decision and a fresh token: the hot path's data."""
    with db.engine.begin() as conn:
        _org, adviser_id = organisation_and_adviser(conn, now)
        people = claimants_with_grants(conn, count, adviser_id, now=now)
    tokens = mint_tokens(app, [(c, g, READ_SCOPES) for c, _u, g, _d in people], now=now)
    return [
        Reader(c, g, d, token, jti)
        for (c, _u, g, d), (token, jti) in zip(people, tokens, strict=True)
    ]


def audit_events(conn: Connection, *, claimants: int, per_claimant: int, now: datetime) -> int:
    """Seed `claimants` chains of `per_claimant` events, hashed exactly as audit.append does."""
    total = claimants * per_claimant
    start_us = clock.to_micros(now - timedelta(days=90))
    heads: list[tuple[str, int, bytes]] = []
    rng = random.Random(7)  # noqa: S311 - bench data, not secrets
    actions = ("mr.read", "journal.list", "journal.read", "mr.list", "mr.request")

    def rows() -> Iterator[tuple]:
        for _ in range(claimants):
            cid, gid = new_id(), new_id()
            tokens = [new_id() for _ in range(4)]
            prev, at = audit.GENESIS, start_us
            actor = f"adviser:{new_id()}"
            for seq in range(1, per_claimant + 1):
                at += rng.randrange(1, 60_000_000)
                token = tokens[seq % 4]
                action = actions[seq % 5]
                resource = f"mr_decision:{gid}" if action == "mr.read" else "journal"
                outcome = "allowed" if seq % 17 else "refused:scope"
                digest = audit.link(
                    prev,
                    audit.canonical(cid, seq, at, token, gid, actor, action, resource, outcome),
                )
                yield (cid, seq, at, token, gid, actor, action, resource, outcome, prev, digest)
                prev = digest
            heads.append((cid, per_claimant, prev))

    columns = (*audit.CHAINED_FIELDS, "prev_hash", "hash")
    copy_rows(conn, "audit_events", columns, rows(), total=total, label="audit events")
    copy_rows(
        conn,
        "audit_heads",
        ("claimant_id", "seq", "hash"),
        heads,
        total=len(heads),
        label="audit heads",
    )
    return total


def staff_scale(
    conn: Connection, *, claimants: int, grants_per_claimant: int, now: datetime
) -> list[str]:
    """Claimants with several grants each (a mix of live and ended), for the staff banner at
    scale. Returns a sample of claimant references to look up."""
    _org, adviser_id = organisation_and_adviser(conn, now)
    t = db_time(conn, now)
    ends = grants.add_months(now, 3)
    ids: list[tuple[str, str]] = []
    for n in range(claimants):
        cid = new_id()
        ids.append((cid, f"STAFF-{n:06d}-{cid[:4].upper()}"))
    password = _password_hash()
    copy_rows(
        conn,
        "accounts",
        ("id", "username", "password_hash", "role", "name", "language", "created_at"),
        (
            (cid, f"{ref.lower()}@bench.example", password, "claimant", f"Claimant {ref}", "en", t)
            for cid, ref in ids
        ),
        total=claimants,
        label="claimants",
    )
    copy_rows(conn, "claimants", ("id", "reference"), ids, total=claimants, label="references")
    statuses = ("active", "active", "revoked", "expired", "suspended")

    def grant_rows() -> Iterator[tuple]:
        for cid, _ref in ids:
            for k in range(grants_per_claimant):
                status = statuses[k % len(statuses)]
                row = _grant_row(new_id(), cid, adviser_id, READ_SCOPES, now, ends)
                row["status"] = status
                yield tuple(
                    db_time(conn, v) if isinstance(v, datetime) else v
                    for v in (row[c] for c in GRANT_COLUMNS)
                )

    copy_rows(
        conn,
        "grants",
        GRANT_COLUMNS,
        grant_rows(),
        total=claimants * grants_per_claimant,
        label="grants",
    )
    rng = random.Random(11)  # noqa: S311
    return [ref for _cid, ref in rng.sample(ids, min(300, len(ids)))]


GRANT_COLUMNS = (
    "id",
    "kind",
    "claimant_id",
    "adviser_id",
    "representative_name",
    "organisation_name",
    "client_id",
    "scopes",
    "purpose",
    "relationship",
    "information",
    "authorization_details",
    "status",
    "created_at",
    "starts_at",
    "review_at",
    "ends_at",
    "recorded_by",
    "recorded_by_staff_id",
    "reviewed_at",
    "suspended_at",
    "suspension_reason",
    "ended_at",
    "ended_by",
    "end_reason",
)


def lua_pairs(readers_: Sequence[Reader]) -> str:
    """A wrk script that sends each request with one of the readers' tokens, round robin."""
    lines = ",\n".join(
        f'  {{"/api/v1/mr-decisions/{r.decision_id}", "Bearer {r.token}"}}' for r in readers_
    )
    return (
        "local pairs = {\n" + lines + "\n}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #pairs + 1\n"
        "  local p = pairs[i]\n"
        '  return wrk.format("GET", p[1], {["Authorization"] = p[2]})\n'
        "end\n"
    )


def lua_dpop(tokens: Sequence[tuple[str, str]], proofs: Sequence[tuple[int, str]]) -> str:
    """A wrk script sending DPoP reads: `tokens` are (path, token), `proofs` (token index,
    proof). Each proof is sent once: wrk's two threads take every other one."""
    paths = ",\n".join(f'  {{"{path}", "DPoP {token}"}}' for path, token in tokens)
    sent = ",\n".join(f'  {{{index + 1}, "{proof}"}}' for index, proof in proofs)
    return (
        "local reads = {\n" + paths + "\n}\n"
        "local proofs = {\n" + sent + "\n}\n"
        "local threads = 0\n"
        "setup = function(thread)\n"
        "  thread:set('first', threads)\n"
        "  threads = threads + 1\n"
        "end\n"
        "local i = nil\n"
        "request = function()\n"
        "  i = i or first\n"
        "  local p = proofs[i % #proofs + 1]\n"
        "  i = i + 2\n"
        "  local r = reads[p[1]]\n"
        '  return wrk.format("GET", r[1], {["Authorization"] = r[2], ["DPoP"] = p[2]})\n'
        "end\n"
    )


def moved_chains(conn: Connection, *, fraction: float, now: datetime) -> int:
    """Append one event to `fraction` of the chains (chosen at random), hashed and linked as
    audit.append does, moving their heads: what a minute of activity leaves to checkpoint."""
    heads = conn.execute(text("SELECT claimant_id, seq, hash FROM audit_heads")).all()
    rng = random.Random(11)  # noqa: S311 - bench data, not secrets
    chosen = rng.sample(heads, max(1, int(len(heads) * fraction)))
    at = clock.to_micros(now)
    events, moved = [], []
    for cid, seq, head in chosen:
        seq, token, gid = int(seq) + 1, new_id(), new_id()
        actor, action, resource, outcome = f"adviser:{new_id()}", "mr.read", "journal", "allowed"
        digest = audit.link(
            bytes(head),
            audit.canonical(cid, seq, at, token, gid, actor, action, resource, outcome),
        )
        events.append(
            (cid, seq, at, token, gid, actor, action, resource, outcome, bytes(head), digest)
        )
        moved.append({"c": cid, "s": seq, "h": digest})
    columns = (*audit.CHAINED_FIELDS, "prev_hash", "hash")
    copy_rows(conn, "audit_events", columns, events, total=len(events), label="new events")
    conn.execute(text("UPDATE audit_heads SET seq = :s, hash = :h WHERE claimant_id = :c"), moved)
    return len(moved)
