"""Attempt counting shared by every worker (it lives in the database, not in process memory)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, func, select, text

from . import clock, metrics
from .extensions import db
from .models import Attempt

T = TypeVar("T")


class TooManyAttempts(Exception):
    """Too many failed attempts in the window; the caller answers 429."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many attempts")
        self.retry_after = retry_after


def check(keys: list[str], *, limit: int, window: timedelta, now: datetime) -> None:
    """Raise TooManyAttempts if any key already has `limit` failures in the window.

    The keys stay locked until the caller's transaction ends, so concurrent attempts on other
    workers wait here instead of all counting the same total and all getting through.
    """
    since = now - window
    lock(keys, since=since)
    for key in keys:
        if failures(key, since=since) >= limit:
            raise TooManyAttempts(int(window.total_seconds()))


GUESS_LIMIT = 5  # wrong codes (device user codes, adviser codes) per key in GUESS_WINDOW
GUESS_WINDOW = timedelta(minutes=15)
# Wrong codes from one address shared by many people (an advice centre, a library), counted
# across everyone there: high enough that one person's guesses never lock the others out, low
# enough that guessing with many accounts from one place still stops (security.md 65).
SHARED_GUESS_LIMIT = 50


def guess(
    keys: list[str],
    lookup: Callable[[], T | None],
    *,
    now: datetime,
    shared: Sequence[str] = (),
) -> T | None:
    """One guess at a code: what `lookup` finds, or None, and then the miss is counted.

    TooManyAttempts once the keys have had GUESS_LIMIT wrong tries in GUESS_WINDOW (or the
    `shared` keys, such as an address many people use, SHARED_GUESS_LIMIT), checked before the
    lookup so that even a right code is refused then. The caller commits, so a miss is counted
    even though the request fails.
    """
    since = now - GUESS_WINDOW
    lock([*keys, *shared], since=since)
    for key, limit, label in [
        *((k, GUESS_LIMIT, "person") for k in keys),
        *((k, SHARED_GUESS_LIMIT, "shared_address") for k in shared),
    ]:
        if failures(key, since=since) >= limit:
            metrics.CODE_GUESS_LOCKOUTS.labels(label).inc()
            raise TooManyAttempts(int(GUESS_WINDOW.total_seconds()))
    found = lookup()
    if found is None:
        record_failure([*keys, *shared], now=now)
    return found


def failures(key: str, *, since: datetime) -> int:
    """How many failures this key has had after `since`."""
    return db.session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.key == key, Attempt.at > since)
    )


def wait_out(
    key: str,
    *,
    free: int,
    first: timedelta,
    cap: timedelta,
    memory: timedelta,
    now: datetime,
) -> None:
    """TooManyAttempts while the key waits out a growing delay; the caller has locked it.

    The first `free` failures in `memory` cost nothing; after that, each failure makes the next
    try wait `first`, then twice as long after each further failure, at most `cap`, counted from
    the latest failure. Tries refused here are not failures, so waiting is always enough.
    """
    count, latest = db.session.execute(
        select(func.count(), func.max(Attempt.at)).where(
            Attempt.key == key, Attempt.at > now - memory
        )
    ).one()
    if count < free or latest is None:
        return
    delay = min(first * 2 ** min(count - free, 16), cap)
    until = clock.from_driver(latest) + delay
    if now < until:
        raise TooManyAttempts(math.ceil((until - now).total_seconds()))


def forget(keys: list[str]) -> None:
    """Drop these keys' failures (a right password ends its pair's delay); no commit."""
    db.session.execute(delete(Attempt).where(Attempt.key.in_(keys)))


def lock(keys: list[str], *, since: datetime) -> None:
    """Lock the keys until the caller's transaction ends (see _lock)."""
    _lock(sorted(keys), since)


def _lock(keys: list[str], since: datetime) -> None:
    """Per-key advisory locks on PostgreSQL; on SQLite any write takes the database's write lock.

    The write used on SQLite prunes the keys' attempts that have left the window.
    Keys are locked in sorted order so two callers cannot deadlock.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        for key in keys:
            db.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
            )
    else:
        db.session.execute(delete(Attempt).where(Attempt.key.in_(keys), Attempt.at <= since))


def record_failure(keys: list[str], *, now: datetime) -> None:
    """Count one failure against each key; the caller commits (even though the attempt failed)."""
    db.session.add_all(Attempt(key=key, at=now) for key in keys)
