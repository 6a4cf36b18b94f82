"""Which language this request's page speaks (Flask-Babel's locale selector): the signed-in
claimant's saved choice, else the `language` cookie, else the browser's Accept-Language.
Pages for advisers, staff and admins are English only (broker/i18n.py)."""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy.exc import SQLAlchemyError

from ..i18n import COOKIE, DEFAULT_LANGUAGE, LANGUAGES, TRANSLATED_ROLES
from ..models import Account
from .boundary import current_account


def select() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    account = _signed_in_account()
    if account is not None:
        if account.role not in TRANSLATED_ROLES:
            return DEFAULT_LANGUAGE
        if account.language in LANGUAGES:
            return account.language
    return from_request()


def from_request() -> str:
    """The cookie's choice, else the browser's preference, else English."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT_LANGUAGE)


def _signed_in_account() -> Account | None:
    try:
        return current_account()
    except SQLAlchemyError:
        # The error page for a database outage must still render: fall back to the cookie.
        return None
