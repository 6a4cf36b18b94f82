"""Database plumbing: the aware-UTC column type and SQLite settings.

Units of work begin and end at the boundaries: broker/web/boundary.py for requests,
broker/units.py for jobs and commands."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from .extensions import db


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that must be aware on the way in and is always aware UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use broker.clock.now()")
        value = value.astimezone(UTC)
        # SQLite stores text; keep it naive UTC there so ordering by the column is right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def _owner_only(database: str | None) -> None:
    """The SQLite file holds every claimant's consent: readable by its owner only (security.md
    33). SQLite gives its -wal and -shm files the database file's mode."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
    path.chmod(0o600)


SQLITE_SYNC_MODES = {"full": "FULL", "normal": "NORMAL"}


def sqlite_synchronous(setting: str) -> str:
    """SQLite's synchronous mode: FULL by default, so a commit (an audit event with the read it
    records) survives a power cut; NORMAL in WAL survives a crash of the process but can lose
    the last commits to a power cut, for faster writes (BROKER_SQLITE_SYNC=normal)."""
    try:
        return SQLITE_SYNC_MODES[setting.strip().lower()]
    except KeyError:
        raise RuntimeError(f"BROKER_SQLITE_SYNC must be full or normal, not {setting!r}") from None


def _sqlite_begin(will_write: Callable[[], bool]) -> str:
    """BEGIN IMMEDIATE for work that changes state (a POST...), else a deferred BEGIN.

    A deferred transaction that reads and then writes fails at once with SQLITE_BUSY_SNAPSHOT
    if another writer committed in between, whatever the busy timeout: under adviser load a
    claimant's revoke would fail. Taking the write lock at BEGIN makes it wait its turn instead.
    """
    return "BEGIN IMMEDIATE" if will_write() else "BEGIN"


def _never() -> bool:
    return False


def configure_engine(app: Flask, *, will_write: Callable[[], bool] = _never) -> None:
    """SQLite: WAL, a busy timeout, foreign keys, and real transactions.

    pysqlite's own transaction handling begins only before DML, so SELECTs would run outside the
    transaction; we emit BEGIN ourselves (SQLAlchemy's documented recipe). Transactions stay
    deferred so readers never block each other; a writer that must not lose a race (the audit
    append) makes a write its first statement (audit.lock_head), which waits on the busy timeout
    instead of failing on a stale snapshot.
    """
    with app.app_context():
        engine: Engine = db.engine
        # The protected request's writers' queue is a file beside the database (oauth/batches.py).
        app.extensions["broker.sqlite_database"] = (
            engine.url.database if engine.dialect.name == "sqlite" else None
        )
        if engine.dialect.name != "sqlite":
            return
        _owner_only(engine.url.database)
        busy_timeout_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))
        synchronous = sqlite_synchronous(app.config.get("BROKER_SQLITE_SYNC", "full"))

        @event.listens_for(engine, "connect")
        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def on_begin(connection: Any) -> None:
            connection.exec_driver_sql(_sqlite_begin(will_write))
