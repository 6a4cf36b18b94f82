"""Starting a session once someone has proved who they are, however they did (a password, a
passkey, or an OpenID Connect provider): one place, so every way in does the same."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, jsonify, redirect, request, session
from werkzeug.wrappers import Response

from .. import i18n
from ..consent import news
from ..inputs import safe_next
from ..models import Account
from . import session_store
from .access import home_for


def start_session(account: Account, now: datetime, next_url: str | None) -> Response:
    """Signed in: news, language and a new session, then on to `next`."""
    previous = news.record_sign_in(account, now=now)
    # A language chosen on the sign-in page wins; otherwise the account's own choice.
    chosen = request.cookies.get(i18n.COOKIE)
    if chosen in i18n.LANGUAGES and chosen != account.language:
        i18n.choose(account, chosen)
    # A new session ID and CSRF secret on every sign-in: no fixation (security.md 27).
    session_store.begin(account, news_since=previous, user_agent=request.user_agent.string)
    session.permanent = False  # the cookie goes when the browser closes
    response = redirect(safe_next(next_url) or home_for(account), 303)
    language = i18n.select_language_for(account, chosen)
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    return i18n.remember(response, language, secure=secure)


def for_script(redirected: Response) -> Response:
    """start_session's redirect as the JSON a page's script follows (a passkey's answer is
    posted by script): where to go next, and the new session's cookies."""
    response = jsonify(next=redirected.headers["Location"])
    for cookie in redirected.headers.getlist("Set-Cookie"):
        response.headers.add("Set-Cookie", cookie)
    return response
