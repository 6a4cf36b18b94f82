"""The session cookie: a signed-in browser holds only a session ID; everything else is in the
`sessions` table (broker/people/sessions.py, security.md 27).

We keep Flask's signed cookie (HttpOnly, SameSite=Lax, Secure in production) rather than a plain
one: one cookie and one format for both states, and a forged or garbled cookie is refused by its
signature before it costs a database lookup. Its content is {"sid": <random ID>} once signed in.
Before sign-in it holds only the sign-in form's CSRF secret, which protects nothing that needs a
session.

The lookup runs as the first before_request (load), after the URL is matched, so that SQLite
begins the transaction the right way for the view (broker/db.py), and before CSRFProtect, so
that an ended session's CSRF tokens fail: its secret lived in the row, not in the cookie.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, request
from flask import session as flask_session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.wrappers import Request, Response

from .. import clock
from ..models import Account
from ..people import sessions
from . import boundary

log = logging.getLogger(__name__)

SID = "sid"
# What a signed-in session holds, all from its row; anything else set after sign-in is not kept.
KEPT = {"account_id", "csrf_token", "news_since", "_flashes"}
# The bearer-token APIs neither read nor write the cookie: a browser's session never speaks for an
# API call, and the guarded read (the hot path) does no cookie signing work.
COOKIELESS_PREFIX = "/api/"


class BrokerSession(SecureCookieSession):
    """A session whose signed-in state comes from the database.

    sid: the raw ID from the cookie (or just issued); id_hash: its SHA-256 once found live;
    issued: a new ID to send; ended: the cookie named a session that is over, so it goes.
    """

    def __init__(self, initial: Any = None) -> None:
        super().__init__(initial)
        self.sid: str | None = None
        self.id_hash: str | None = None
        self.loaded = False
        self.issued = False
        self.ended = False
        self.flashes_read: Any = None  # the row's flashes as loaded, to see whether they changed
        self.cookieless = False  # a bearer-token API request: the cookie is neither read nor set


class BrokerSessionInterface(SecureCookieSessionInterface):
    session_class = BrokerSession

    def open_session(self, app: Flask, request: Request) -> BrokerSession | None:
        if request.path.startswith(COOKIELESS_PREFIX):
            cookieless = BrokerSession()
            cookieless.loaded = cookieless.cookieless = True
            return cookieless
        opened = super().open_session(app, request)
        if opened is None:
            return None
        data = dict(opened)
        if SID in data:
            broker_session = BrokerSession()
            broker_session.sid = str(data[SID])
            return broker_session
        return BrokerSession(data)  # not signed in: at most a sign-in form's CSRF secret

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if not isinstance(session, BrokerSession):
            return super().save_session(app, session, response)
        if session.cookieless:
            return None
        if session.sid is not None:
            if session.issued:  # only on sign-in: the ID never changes within a session
                response.set_cookie(
                    self.get_cookie_name(app),
                    self.get_signing_serializer(app).dumps({SID: session.sid}),  # type: ignore[union-attr]
                    httponly=self.get_cookie_httponly(app),
                    domain=self.get_cookie_domain(app),
                    path=self.get_cookie_path(app),
                    secure=self.get_cookie_secure(app),
                    samesite=self.get_cookie_samesite(app),
                )
            flashes = session.get("_flashes")
            if session.id_hash and flashes != session.flashes_read:
                id_hash = session.id_hash
                boundary.apart(lambda: sessions.keep_flashes(id_hash, flashes))
            if session.loaded and session.modified and set(session) - KEPT:
                log.warning("not kept in a signed-in session: %s", sorted(set(session) - KEPT))
            if session.loaded or session.issued:  # static files stay cacheable
                response.vary.add("Cookie")
            return None
        if session.ended:
            session.modified = True  # drop the dead ID, or replace it with what was set since
        return super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = BrokerSessionInterface()
    minutes = app.config.get("BROKER_SESSION_IDLE_MINUTES") or {}
    idle = dict(sessions.IDLE_LIMITS)
    for role, value in minutes.items():
        idle[role] = timedelta(minutes=int(value))
    hours = int(app.config.get("BROKER_SESSION_HOURS") or 12)
    if not 1 <= hours <= 48:  # retention deletes session rows two days after they start
        raise RuntimeError("BROKER_SESSION_HOURS must be between 1 and 48")
    app.extensions["broker.session_limits"] = sessions.Limits(idle, timedelta(hours=hours))


def _current() -> BrokerSession:
    """The request's session object itself (not Flask's proxy to it)."""
    current = flask_session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(current, BrokerSession)  # noqa: S101 (init_app installed the interface)
    return current


def limits() -> sessions.Limits:
    return current_app.extensions["broker.session_limits"]


def load() -> None:
    """Find the cookie's session in the database (one lookup), before any view or CSRF check."""
    session = _current()
    if session.loaded or request.endpoint == "static":
        return
    session.loaded = True
    if session.sid is None:
        return
    now = clock.now()
    live = sessions.find(session.sid, now=now, limits=limits())
    if live is None:  # ended, idle or too old: the browser is signed out, its CSRF secret gone
        session.sid = None
        session.ended = True
        return
    session.id_hash = live.id_hash
    if live.touch_due:
        boundary.apart(lambda: sessions.touch(live.id_hash, now=now))
    values: dict[str, Any] = {"account_id": live.account.id, "csrf_token": live.csrf_secret}
    if live.news_since is not None:
        values["news_since"] = live.news_since.isoformat()
    if live.flashes:
        values["_flashes"] = live.flashes
        session.flashes_read = live.flashes
    dict.update(session, values)  # as read, not as changed
    g.account = live.account


def begin(account: Account, *, news_since: Any, user_agent: str) -> None:
    """Sign in: a new session ID and CSRF secret (no fixation); any session this browser held
    ends. Adds rows, no commit."""
    session = _current()
    now = clock.now()
    if session.id_hash:
        sessions.end(session.id_hash, reason=sessions.SIGNED_IN_AGAIN, now=now)
    session_id, row = sessions.start(account, user_agent=user_agent, news_since=news_since, now=now)
    session.clear()
    session.sid, session.id_hash, session.issued = session_id, row.id_hash, True
    session.update(account_id=account.id, csrf_token=row.csrf_secret)
    if news_since is not None:
        session["news_since"] = news_since.isoformat()
    g.account = account


def end_current(*, reason: str) -> None:
    """Sign out: this browser's session ends in the database and its cookie goes; no commit."""
    session = _current()
    if session.id_hash:
        sessions.end(session.id_hash, reason=reason, now=clock.now())
    session.clear()
    session.sid = session.id_hash = None
    session.ended = True
    g.pop("account", None)


def current_hash() -> str | None:
    return _current().id_hash


def end_others(account_id: str, *, reason: str) -> int:
    """End every other session of this account (this browser's stays); no commit."""
    return sessions.end_others(account_id, keep=current_hash(), reason=reason, now=clock.now())
