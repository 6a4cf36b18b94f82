"""Plain SQL on DBAPI connections of the guard's own, outside the ORM session.

The protected API is the hot path (bench/README.md): per request, Flask-SQLAlchemy's session,
the pool's checkout (with its ping) and Core's per-statement work cost more than the database's
own few statements. So each worker keeps its own driver connection (sqlite3 or psycopg) and runs
statements written once as plain strings on it, in transactions it begins and ends itself.

Connections come from a pool made like the engine's (same creator, same on-connect settings:
SQLite's WAL, synchronous mode, busy timeout), are checked out once and then kept idle here
between requests: a sync worker reuses one for its whole life, a threaded server one per thread
at work. One the database has dropped is thrown away and replaced on the next request.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError


def pg(sql: str) -> str:
    """A statement written with `?` placeholders in psycopg's style."""
    return sql.replace("?", "%s")


@dataclass(frozen=True, slots=True)
class Joined:
    """A row read together with the guard's check (protect.py): `columns` of `table`, by ID,
    filtered by the grant's claimant, so that another claimant's row reads as none at all."""

    table: str
    columns: tuple[str, ...]


class Unit:
    """One transaction on a driver connection: statements, written with `?` placeholders."""

    def __init__(self, raw: Any, postgres: bool, savepoint: str | None = None) -> None:
        self.raw = raw
        self.postgres = postgres
        # In a group commit's transaction (oauth/batches.py): the request's own savepoint. Its
        # events are added without committing, and a rollback undoes only the request's work.
        self.savepoint = savepoint
        self.wrote = False  # the work changed rows (a refusal then rolls it back first)
        # The claimant's chain head the guard holds, moved by any event the work adds before
        # the guard's own (protect.also_audit).
        self.head: tuple[int, bytes] | None = None
        # What the guard's own event records, when the work did something other than the
        # rule's action (protect.record_as): (action, resource).
        self.recorded_as: tuple[str, str] | None = None

    def sql(self, statement: str) -> str:
        return pg(statement) if self.postgres else statement

    def one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(self.sql(statement), params).fetchone()

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.raw.execute(self.sql(statement), params).fetchall()

    def write(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.wrote = True
        self.raw.execute(self.sql(statement), params).close()

    def begin(self) -> None:
        """Begin a transaction. SQLite: IMMEDIATE, so this connection holds the database's one
        write lock from the first statement (writers are serialised; what it reads no other
        writer can change before it commits). psycopg begins implicitly at the first statement."""
        if self.savepoint is None and not self.postgres:
            self.raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.raw.commit()
        self.wrote = False

    def rollback(self) -> None:
        if self.savepoint is not None:
            self.raw.execute(f"ROLLBACK TO {self.savepoint}")
        else:
            self.raw.rollback()
        self.wrote = False

    def in_transaction(self) -> bool:
        if self.postgres:
            return bool(self.raw.info.transaction_status)  # IDLE is 0
        return bool(self.raw.in_transaction)


EXTENSION = "broker.driver"  # where an app keeps its Driver (broker/web/guarded.py)


class Driver:
    """The driver connections of one app's engine, kept per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._pool: Any = None
        self._idle: list[Any] = []
        self._inherited: list[Any] = []  # a parent's connections: never used, never closed here

    def _checkout(self) -> Any:
        with self._lock:
            if self._pid != os.getpid():
                # A forked worker must not use (or close: that would end the parent's session
                # on PostgreSQL) what the parent opened.
                self._inherited += self._idle
                self._idle, self._pool, self._pid = [], None, os.getpid()
            while self._idle:
                fairy = self._idle.pop()
                if not (self.postgres and _dropped(fairy.driver_connection)):
                    return fairy
                fairy.invalidate()
            if self._pool is None:
                self._pool = self.engine.pool.recreate()
        return self._pool.connect()

    def close(self) -> None:
        """Close the connections this process opened (an app that is discarded). A forked
        worker's copy closes nothing: those are its parent's."""
        with self._lock:
            if self._pid != os.getpid():
                return
            idle, self._idle = self._idle, []
            pool, self._pool = self._pool, None
        for fairy in idle:
            fairy.close()
        if pool is not None:
            pool.dispose()

    def mapped(self, exc: BaseException, *, invalidated: bool = False) -> BaseException:
        """A driver's error as SQLAlchemy's own, as Core would raise it: OperationalError (a lost
        or locked database) answers 503, DataError (a value it cannot hold) 400; any other
        exception as it is."""
        dialect = self.engine.dialect
        dbapi_error = dialect.loaded_dbapi.Error
        if not isinstance(exc, dbapi_error):
            return exc
        return DBAPIError.instance(
            None, None, exc, dbapi_error, connection_invalidated=invalidated, dialect=dialect
        )

    @contextmanager
    def unit(self) -> Iterator[Unit]:
        """A connection for one request; whatever its transaction was left in is rolled back."""
        dialect = self.engine.dialect
        dbapi_error = dialect.loaded_dbapi.Error
        try:
            fairy = self._checkout()
        except dbapi_error as exc:  # the database is gone or refuses connections
            raise DBAPIError.instance(
                None, None, exc, dbapi_error, connection_invalidated=True, dialect=dialect
            ) from exc
        unit = Unit(fairy.driver_connection, self.postgres)
        healthy = True
        try:
            yield unit
            if unit.in_transaction():
                unit.rollback()
        except dbapi_error as exc:
            healthy = not dialect.is_disconnect(exc, fairy.dbapi_connection, None)
            _end(unit, dbapi_error)
            raise self.mapped(exc, invalidated=not healthy) from exc
        except BaseException:
            _end(unit, dbapi_error)
            raise
        finally:
            if healthy and _idle(unit, dbapi_error):
                with self._lock:
                    self._idle.append(fairy)
            else:
                fairy.invalidate()


def _dropped(raw: Any) -> bool:
    """Whether the server has spoken on an idle connection: a restarting PostgreSQL tells each
    session it is ending, so a connection kept across a restart is known dead without a round
    trip (the pool would ping every checkout instead)."""
    if raw.closed:
        return True
    readable, _w, _x = select.select([raw.fileno()], [], [], 0)
    return bool(readable)


def _idle(unit: Unit, dbapi_error: type[Exception]) -> bool:
    try:
        return not unit.in_transaction()
    except dbapi_error:
        return False


def _end(unit: Unit, dbapi_error: type[Exception]) -> None:
    try:
        if unit.in_transaction():
            unit.rollback()
    except dbapi_error:
        pass  # the connection is gone; it is invalidated, not kept
