"""Attempt counting shared by every worker (it lives in the database, not in process memory)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from .extensions import db
from .models import Attempt


class TooManyAttempts(Exception):
    """Too many failed attempts in the window; the caller answers 429."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many attempts")
        self.retry_after = retry_after


def check(keys: list[str], *, limit: int, window: timedelta, now: datetime) -> None:
    """Raise TooManyAttempts if any key already has `limit` failures in the window."""
    since = now - window
    for key in keys:
        count = db.session.scalar(
            select(func.count()).select_from(Attempt).where(Attempt.key == key, Attempt.at > since)
        )
        if count >= limit:
            raise TooManyAttempts(int(window.total_seconds()))


def record_failure(keys: list[str], *, now: datetime) -> None:
    """Count one failure against each key; the caller commits (even though the attempt failed)."""
    db.session.add_all(Attempt(key=key, at=now) for key in keys)


def forget_before(cutoff: datetime) -> int:
    """Drop attempts older than any window; run by the sweep."""
    result = db.session.execute(delete(Attempt).where(Attempt.at < cutoff))
    return result.rowcount or 0
