"""Health and readiness for a load balancer or an orchestrator (issue 26).

GET /healthz: 200 whenever the process answers; it touches nothing, not even the database.
GET /readyz: 200 when every check passes, 503 naming those that failed:

- database: it answers a query;
- migrations: the database is at the migrations' head(s);
- signing_key: the signing keys can be read from the database and opened with
  BROKER_KEY_ENCRYPTION_KEY, one of them signs now, and the statement key is loaded;
- checkpoint: the checkpoint job succeeded, or a checkpoint was signed, within twice
  BROKER_CHECKPOINT_SECONDS (the job signs none when nothing changed, so an idle broker is ready);
- sweep: the sweep succeeded within twice BROKER_SWEEP_SECONDS.

Open to anyone, with no session and no CSRF token (GET only). The answer names checks and times,
never a claimant, an account or a key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from werkzeug.wrappers import Response

from .. import clock, scheduler, services, units
from ..chain import checkpoints
from ..chain.keys import KeyStoreError
from ..extensions import db
from ..models import JobRun

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        try:
            ok, detail = check(current_app)
        except Exception as exc:  # noqa: BLE001 - a failed check is an answer, not a 500
            units.discard()
            ok, detail = False, f"could not be checked ({type(exc).__name__})"
        results[name] = {"ok": ok, "detail": detail}
    units.discard()
    ready = all(result["ok"] for result in results.values())
    body = {
        "status": "ready" if ready else "not ready",
        "failed": [name for name, result in results.items() if not result["ok"]],
        "checks": results,
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503


def _database(app: Flask) -> tuple[bool, str]:  # noqa: ARG001
    db.session.execute(text("SELECT 1"))
    return True, "answers"


@cache
def _heads(directory: str) -> frozenset[str]:
    return frozenset(ScriptDirectory(directory).get_heads())


def _migrations(app: Flask) -> tuple[bool, str]:
    heads = _heads(str(app.extensions["migrate"].directory))
    current = frozenset(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    if current == heads:
        return True, "at head"
    return False, "not at head: run `flask db upgrade heads`"


def _signing_key(app: Flask) -> tuple[bool, str]:
    bound = services.of(app)
    try:
        bound.tokens.ring.current(clock.now())
    except KeyStoreError as exc:  # its message says what to do and names no secret
        return False, str(exc)
    if not bound.statement_key:
        return False, "no statement key loaded"
    return True, "loaded"


def _within(last: datetime | None, every: timedelta, what: str) -> tuple[bool, str]:
    limit = 2 * every
    if last is None:
        return False, f"{what} never (expected within {limit.total_seconds():.0f}s)"
    age = clock.now() - last
    if age > limit:
        return False, (
            f"{what} {age.total_seconds():.0f}s ago (expected within {limit.total_seconds():.0f}s)"
        )
    return True, f"{what} {age.total_seconds():.0f}s ago"


def _last_success(name: str) -> datetime | None:
    record = db.session.get(JobRun, name)
    return record.last_success_at if record is not None else None


def _checkpoint(app: Flask) -> tuple[bool, str]:
    latest = checkpoints.latest()
    moments = [_last_success(scheduler.CHECKPOINT), latest.issued_at if latest else None]
    last = max((moment for moment in moments if moment is not None), default=None)
    return _within(last, checkpoints.interval(app.config), "checked")


def _sweep(app: Flask) -> tuple[bool, str]:
    return _within(_last_success(scheduler.SWEEP), scheduler.sweep_interval(app.config), "ran")


CHECKS: dict[str, Callable[[Flask], tuple[bool, str]]] = {
    "database": _database,
    "migrations": _migrations,
    "signing_key": _signing_key,
    "checkpoint": _checkpoint,
    "sweep": _sweep,
}
