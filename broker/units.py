"""The job boundary: units of work outside a request (CLI commands, the sweep's batches).

Domain modules add and flush, never commit: a request's unit is ended by the request boundary
(broker/web/boundary.py), and a job's by these. A long job is a run of short units, each kept
as it ends, so that a crash loses at most the unit under way and no writer waits on a job.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .extensions import db


@contextmanager
def unit() -> Iterator[None]:
    """Keep everything done in the block, or nothing of it if it raises."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def keep() -> None:
    """End the unit under way, keeping what it did."""
    db.session.commit()


def discard() -> None:
    """End the unit under way, keeping nothing of it: a refusal, or a read that is over (so that
    no lock or snapshot is held while the job talks to the outside world or waits)."""
    db.session.rollback()
