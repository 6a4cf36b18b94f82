"""Signed-in sessions held in the broker's database (security.md 27).

The browser holds a random 256-bit session ID; the database holds only its SHA-256, so a copy of
the table opens nothing. A session ends when its holder signs out, when they sign out everywhere
else or stop all access from another session, after an idle limit (30 minutes for claimants)
and, whatever happens, 12 hours after sign-in. Idle and absolute limits are computed at each
request, like a grant's state: nothing has to run for a session to end on time.

Each request costs one lookup by primary key. last_seen_at is written at most once a minute
(TOUCH_EVERY), so a session may end up to a minute before its idle limit, never after it.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from ..extensions import db
from ..models import Account, UserSession
from ..opaque import hash_secret

IDLE_LIMITS = {
    "claimant": timedelta(minutes=30),
    "adviser": timedelta(minutes=30),
    "staff": timedelta(minutes=30),
    "admin": timedelta(minutes=15),  # registers OAuth clients: the shortest leash
}
ABSOLUTE_LIMIT = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)

SIGNED_OUT, ELSEWHERE, STOP_ALL, SIGNED_IN_AGAIN = "signed-out", "elsewhere", "stop-all", "replaced"


@dataclass(frozen=True)
class Limits:
    idle: dict[str, timedelta]
    absolute: timedelta

    def idle_for(self, role: str) -> timedelta:
        return self.idle.get(role, min(self.idle.values()))


DEFAULT_LIMITS = Limits(IDLE_LIMITS, ABSOLUTE_LIMIT)


@dataclass(frozen=True)
class Live:
    """A session found live: what a request needs, copied out of the rows."""

    id_hash: str
    account: Account
    csrf_secret: str
    news_since: datetime | None
    flashes: list[Any] | None
    touch_due: bool  # last_seen_at is over TOUCH_EVERY old: the caller moves it on (touch)


def start(
    account: Account, *, user_agent: str, news_since: datetime | None, now: datetime
) -> tuple[str, UserSession]:
    """A new session with a new ID and a new CSRF secret; the raw ID is returned once, only the
    hash is stored. Adds the row, no commit."""
    session_id = secrets.token_urlsafe(32)
    row = UserSession(
        id_hash=hash_secret(session_id),
        account_id=account.id,
        created_at=now,
        last_seen_at=now,
        user_agent=summarise_user_agent(user_agent),
        csrf_secret=secrets.token_hex(32),
        news_since=news_since,
    )
    db.session.add(row)
    db.session.flush()
    return session_id, row


def find(session_id: str, *, now: datetime, limits: Limits = DEFAULT_LIMITS) -> Live | None:
    """The live session with this ID, or None: unknown, ended, idle too long or too old.

    One lookup by primary key, joined with the account; reads only.
    """
    if not session_id:
        return None
    id_hash = hash_secret(session_id)
    found = db.session.execute(
        select(UserSession, Account)
        .join(Account, Account.id == UserSession.account_id)
        .where(UserSession.id_hash == id_hash, UserSession.ended_at.is_(None))
    ).first()
    if found is None:
        return None
    row, account = found
    if now - row.created_at >= limits.absolute:
        return None
    if now - row.last_seen_at >= limits.idle_for(account.role):
        return None
    flashes = json.loads(row.flashes) if row.flashes else None
    touch_due = now - row.last_seen_at >= TOUCH_EVERY
    return Live(id_hash, account, row.csrf_secret, row.news_since, flashes, touch_due)


def touch(id_hash: str, *, now: datetime) -> None:
    """Record that the session was used now; no commit (the caller runs it as its own unit, so
    that on SQLite the update is its transaction's first statement)."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id_hash == id_hash, UserSession.ended_at.is_(None))
        .values(last_seen_at=now)
    )


def keep_flashes(id_hash: str, flashes: list[Any] | None) -> None:
    """Keep the messages for the next page (or forget the ones shown); no commit (the caller
    runs it as its own unit, after the view's unit has ended)."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id_hash == id_hash)
        .values(flashes=json.dumps(flashes) if flashes else None)
    )


def end(id_hash: str, *, reason: str, now: datetime) -> None:
    """End this session (sign-out); no commit."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id_hash == id_hash, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )


def end_others(account_id: str, *, keep: str | None, reason: str, now: datetime) -> int:
    """End every session of this account but the one whose hash is `keep`; no commit."""
    query = update(UserSession).where(
        UserSession.account_id == account_id, UserSession.ended_at.is_(None)
    )
    if keep:
        query = query.where(UserSession.id_hash != keep)
    result = db.session.execute(query.values(ended_at=now, end_reason=reason))
    return result.rowcount or 0


def others(
    account: Account, *, keep: str | None, now: datetime, limits: Limits = DEFAULT_LIMITS
) -> list[UserSession]:
    """The account's other live sessions, most recently used first."""
    rows = db.session.scalars(
        select(UserSession)
        .where(
            UserSession.account_id == account.id,
            UserSession.ended_at.is_(None),
            UserSession.id_hash != (keep or ""),
            UserSession.created_at > now - limits.absolute,
            UserSession.last_seen_at > now - limits.idle_for(account.role),
        )
        .order_by(UserSession.last_seen_at.desc())
    )
    return list(rows)


_BROWSERS = (
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iPhone", re.compile(r"iPhone")),
    ("iPad", re.compile(r"iPad")),
    ("Windows", re.compile(r"Windows")),
    ("Mac", re.compile(r"Macintosh|Mac OS X")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)


def summarise_user_agent(user_agent: str) -> str:
    """ "Browser/System" from a fixed list of names (either may be empty): enough for a person to
    recognise their own phone, never the whole User-Agent string."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    return f"{browser}/{system}"
