"""The yardstick: the guard's own statements on a raw per-worker connection (sqlite3 or psycopg)
under Flask, with no ORM and none of the app's hooks, served by the same gunicorn settings.

`GET /api/v1/mr-decisions/<id>` with a bearer token does what the audited read must: verify the
JWT with the broker's TokenService, hold the claimant's chain head, read the token, grant and
decision (the very SQL strings broker.oauth.protect and broker.chain.audit run), check the grant,
hash the event onto the chain, insert it and commit. On SQLite it commits in the guard's group
commit (broker/oauth/batches.py: the requests of a threaded worker that arrive together share one
COMMIT); on PostgreSQL each thread has its own connection. `make bench` prints the product's share
of it: how close the broker comes to the ceiling of its own design.

Environment: DATABASE_URL, BROKER_KEY_DIR (or BROKER_KEY_ENCRYPTION_KEY), BROKER_ISSUER,
BROKER_SQLITE_SYNC (as the broker; the signing keys are read from the database).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, request
from sqlalchemy import create_engine, event
from werkzeug.exceptions import HTTPException

from broker import clock
from broker.casework import journal
from broker.chain import audit
from broker.chain.keyring import KeyRing
from broker.chain.keys import key_encryption_key
from broker.consent import disclosure
from broker.db import sqlite_synchronous
from broker.driver import Driver, Unit
from broker.oauth import protect
from broker.oauth.batches import Batches
from broker.oauth.tokens import InvalidToken, TokenService

URL = os.environ["DATABASE_URL"]
POSTGRES = URL.startswith("postgres")
CHECK_SQL = protect.check_sql(POSTGRES, journal.MR_DECISION)
issuer = os.environ["BROKER_ISSUER"].rstrip("/")
key_dir = Path(os.environ["BROKER_KEY_DIR"])
_engine = create_engine(URL)
# The keys the broker keeps in its database (broker/chain/keyring.py), opened with its
# key-encryption key (BROKER_KEY_ENCRYPTION_KEY, or the one made in BROKER_KEY_DIR).
tokens = TokenService(
    KeyRing(
        lambda: _engine,
        kek=key_encryption_key(os.environ.get("BROKER_KEY_ENCRYPTION_KEY"), key_dir, create=False),
        key_dir=key_dir,
        create=False,
    ),
    issuer,
    audience=f"{issuer}/api/v1",
)
app = Flask(__name__)
_worker: dict[tuple[int, int], Any] = {}  # (pid, thread) -> PostgreSQL connection
PATH = URL.removeprefix("sqlite:///")
# SQLite: the broker's group commit (broker/oauth/batches.py) on the same kind of connection, so
# that the yardstick stays the ceiling of what the guard runs (issue 28 item 3).
_batches = Batches()
_driver = Driver(_engine)


@event.listens_for(_engine, "connect")
def _pragmas(raw: Any, _record: Any) -> None:  # noqa: ANN401
    if not POSTGRES:
        sync = sqlite_synchronous(os.environ.get("BROKER_SQLITE_SYNC", "full"))
        for pragma in ("journal_mode=WAL", f"synchronous={sync}", "busy_timeout=15000"):
            raw.execute(f"PRAGMA {pragma}")


def _connection() -> Any:  # noqa: ANN401
    """A PostgreSQL connection per thread (a threaded worker serves several at once)."""
    key = (os.getpid(), threading.get_ident())
    found = _worker.get(key)
    if found is None:
        import psycopg

        found = _worker[key] = psycopg.connect(URL.replace("+psycopg", ""))
    return found


@app.get("/api/v1/mr-decisions/<uuid:decision_id>")
def read(decision_id: Any) -> Any:  # noqa: ANN401
    now = clock.now()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        claims = tokens.verify(token, now=now)
    except InvalidToken:
        abort(401)
    jti, sub = claims["jti"], claims["sub"]
    if POSTGRES:
        raw = _connection()
        lock, check = raw.cursor(), raw.cursor()
        with raw.pipeline():
            lock.execute(audit.LOCK_HEAD_PG_SQL, (sub,))
            check.execute(CHECK_SQL, (str(decision_id), jti, sub))
        (seq, prev), row = lock.fetchone(), check.fetchone()
        return _answer(Unit(raw, True), claims, now, seq, bytes(prev), row, str(decision_id))
    with _batches.transaction(_driver, PATH, keep=(HTTPException,)) as unit:
        seq, prev, *row = unit.raw.execute(CHECK_SQL, (jti, str(decision_id), sub)).fetchone()
        return _answer(unit, claims, now, seq, prev, row, str(decision_id))


def _answer(
    unit: Unit,
    claims: Any,
    now: Any,
    seq: int,
    prev: bytes,
    row: Any,
    decision_id: str,
) -> Any:  # noqa: ANN401
    revoked, scopes, client_id, grant_id, status, adviser_id, review_at, ends_at, allowed = row[:9]
    live = disclosure.authorises(
        status, clock.from_driver(review_at), clock.from_driver(ends_at), now
    )
    if (
        not live
        or revoked is not None
        or "mr:read" not in set(scopes.split()) & set(allowed.split())
    ):
        unit.rollback()
        abort(401)
    actor = f"adviser:{adviser_id}" if adviser_id else f"client:{client_id}"
    event = audit.Event(
        claims["sub"], claims["jti"], grant_id, actor, "mr.read", f"mr_decision:{decision_id}",
        "allowed",
    )  # fmt: skip
    audit.append(event, now=now, connection=unit, head=(seq, prev))
    return jsonify(journal.decision_json(row[11:]))  # after the check's 11 columns
