"""Group commit on SQLite (issue 28): the guarded requests of one worker process that arrive
while a transaction is open join it, each in a savepoint of its own, and one COMMIT (one fsync on
`synchronous=FULL`) makes all their audit events durable together.

How a request goes through (`Batches.transaction`):
- It waits for the process's one shared connection (the baton: a thread lock). The first to
  hold it with no transaction open begins one: it queues on the writers' file lock beside the
  database (one process's batch at a time), then BEGIN IMMEDIATE, which takes SQLite's write
  lock. The file lock, not SQLite's busy handler, orders the processes: the busy handler sleeps
  (1, 2, 5, 10... ms) between tries, so under load most of a wait would be sleep after the lock
  was free, while the kernel hands a file lock over at once, and a killed worker releases it.
- It runs its own check, work and audit event on that connection, on its own thread (Flask's
  request context stays where it belongs), inside `SAVEPOINT request`: a request whose work fails
  is rolled back alone and the others' stand.
- If another request is waiting for the baton it hands over and waits for the batch's end;
  the last one in commits the batch, for everyone, and wakes them.
- No answer leaves before the COMMIT that holds its event has returned; a COMMIT that fails fails
  every request of the batch (each raises the same error: 503, nothing returned).

A revoke commits on another connection, so it takes SQLite's write lock: before a batch begins
(then every request of the batch reads it) or after the batch commits (then every request of
the batch sits before it in the chain). Chains stay one per claimant: requests of one batch for
the same claimant read the head the one before them moved.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from ..driver import Driver, Unit

SAVEPOINT = "request"


@dataclass(eq=False)
class _Batch:
    unit: Unit
    opened: ExitStack
    lock_file: int
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class Batches:
    """The batches of one process (one per database file)."""

    def __init__(self) -> None:
        self._baton = threading.Lock()
        self._counter = threading.Lock()
        self._waiting = 0
        self._batch: _Batch | None = None
        self._files: dict[tuple[int, str], int] = {}
        self._inside = threading.local()

    @contextmanager
    def transaction(
        self, driver: Driver, database: str, keep: tuple[type[BaseException], ...] = ()
    ) -> Iterator[Unit]:
        """A Unit of its own in the batch's transaction. An exception of a `keep` type (a
        refusal, whose audit event the request wrote) keeps what the request did; any other
        rolls it back. Either is raised once the batch has committed."""
        if getattr(self._inside, "yes", False):  # it would wait for ever on its own baton
            raise RuntimeError("a guarded request inside another's transaction")
        with self._counter:
            self._waiting += 1
        self._baton.acquire()
        with self._counter:
            self._waiting -= 1
        try:
            batch = self._batch or self._begin(driver, database)
        except BaseException:
            self._baton.release()
            raise
        raw = batch.unit.raw
        raised: BaseException | None = None
        try:
            raw.execute(f"SAVEPOINT {SAVEPOINT}")
            unit = Unit(raw, postgres=False, savepoint=SAVEPOINT)
            self._inside.yes = True
            try:
                yield unit
            except keep as exc:
                raised = exc
            except BaseException as exc:
                raised = driver.mapped(exc)
                raw.execute(f"ROLLBACK TO {SAVEPOINT}")
            finally:
                self._inside.yes = False
            raw.execute(f"RELEASE {SAVEPOINT}")
        except BaseException as exc:  # the connection itself failed: the batch cannot commit
            batch.error = batch.error or exc
            raised = raised or driver.mapped(exc)
        self._end_or_wait(batch, driver)
        if batch.error is not None:  # each request raises its own copy of a driver's error
            failed = driver.mapped(batch.error)
            if failed is batch.error:
                raise failed
            raise failed from batch.error
        if raised is not None:
            raise raised

    def _begin(self, driver: Driver, database: str) -> _Batch:
        opened = ExitStack()
        try:
            lock_file = self._lock_file(database)
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            opened.callback(fcntl.flock, lock_file, fcntl.LOCK_UN)
            unit = opened.enter_context(driver.unit())
            unit.begin()
        except BaseException as exc:
            # Through the driver, as one request's transaction: a database locked past the busy
            # timeout is SQLAlchemy's OperationalError (503), never a bare driver error (500).
            opened.__exit__(type(exc), exc, exc.__traceback__)
            failed = driver.mapped(exc)
            if failed is exc:
                raise
            raise failed from exc
        self._batch = _Batch(unit, opened, lock_file)
        return self._batch

    def _end_or_wait(self, batch: _Batch, driver: Driver) -> None:
        """Hand the baton to a request waiting for it, or, if none is, commit for everyone."""
        with self._counter:
            last = self._waiting == 0
        if not last:
            self._baton.release()
            batch.done.wait()
            return
        try:
            if batch.error is None:
                batch.unit.commit()
        except BaseException as exc:
            batch.error = exc
        finally:
            self._batch = None
            try:
                # Rolls back what did not commit, keeps or drops the connection, frees the file
                # lock; a failed batch's error goes through the driver, as one request's did.
                error = batch.error
                if error is None:
                    batch.opened.close()
                else:
                    batch.opened.__exit__(type(error), error, error.__traceback__)
            except BaseException as exc:
                batch.error = batch.error or exc
            finally:
                batch.done.set()
                self._baton.release()

    def _lock_file(self, database: str) -> int:
        key = (os.getpid(), database)  # a forked worker opens its own file description
        found = self._files.get(key)
        if found is None:
            found = self._files[key] = os.open(f"{database}.writers", os.O_RDWR | os.O_CREAT, 0o600)
        return found
