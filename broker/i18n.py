"""English and Welsh (Cymraeg): which language a page speaks, remembering the choice, and dates
and durations in words.

Claimant-facing pages are in both languages; adviser, staff and admin pages are English only. A
page's language is the signed-in claimant's saved choice (Account.language), else the
`language` cookie (the choice made before signing in), else the browser's Accept-Language: the
web layer works it out from the request (broker/web/language.py).

Catalogues: translations/<lang>/LC_MESSAGES/messages.po, compiled to .mo by `make install` (a
build step: the app never writes into the source tree, which may be read-only where it runs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask, Response, g
from flask_babel import Babel, format_date, format_datetime, get_locale, gettext, ngettext

from .config import ROOT
from .models import Account

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Language:
    name: str  # in its own language, as the switch shows it
    change: str  # what pressing it does, in that language, for screen readers


LANGUAGES = {
    "en": Language("English", "Change the language to English"),
    "cy": Language("Cymraeg", "Newid yr iaith i'r Gymraeg"),
}
DEFAULT_LANGUAGE = "en"
TIMEZONE = "Europe/London"  # claimants live in Great Britain: show them their own clock
COOKIE = "language"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
TRANSLATIONS = ROOT / "translations"
DOMAIN = "messages"
TRANSLATED_ROLES = frozenset({"claimant"})  # only the claimant's pages have Welsh


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a string for extraction without translating it yet: it is translated where shown."""
    return message


def init_app(app: Flask, *, locale_selector: Callable[[], str]) -> None:
    """Bind Flask-Babel with the web layer's language choice, London time and Jinja helpers."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    warn_of_stale_catalogues(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    Babel(app, locale_selector=locale_selector)
    # Flask-Babel caches the language in g; g outlives a request when an app context is already
    # pushed (tests), so each request works its language out afresh, before anything renders.
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_language)
    app.jinja_env.globals.update(
        current_language=current_language,
        languages=LANGUAGES,
        day=day,
        moment=moment,
        months=months,
        time_of_day=time_of_day,
    )
    app.jinja_env.filters["translated"] = translated


def translated(text: str) -> str:
    """Look up a message made elsewhere (a form label, a flash) as plain, still-escaped text.

    Never `_(variable)` in a template: Jinja's gettext marks its result safe, so a name inside
    the variable would be rendered as HTML. This returns a plain str that autoescape escapes.
    """
    return gettext(text) if text else text


def _forget_language() -> None:
    g.pop("_flask_babel", None)


def current_language() -> str:
    """The language of the page being rendered: "en" or "cy"."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def select_language_for(account: Account, chosen: str | None) -> str:
    """The language pages will speak to this account from now on (after sign-in)."""
    if account.role not in TRANSLATED_ROLES:
        return known(chosen)
    return known(account.language)


def known(language: str | None) -> str:
    """`language` if we speak it, else English."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def choose(account: Account | None, language: str) -> str:
    """Save a claimant's language choice on their account (no commit); returns the language."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    if account is not None and account.role in TRANSLATED_ROLES:
        account.language = language
    return language


def remember(response: Response, language: str, *, secure: bool) -> Response:
    """Keep the choice in a cookie for a year, so the sign-in page speaks it next time."""
    response.set_cookie(
        COOKIE, language, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax", secure=secure
    )
    return response


# Dates and durations in words, in the page's language and in UK time


def day(value: datetime | date | str) -> str:
    """A date as people write it, on the UK clock: 23 November 2026, or 23 Tachwedd 2026."""
    return format_date(instant(value), "d MMMM y")


def moment(value: datetime | str) -> str:
    """A date and time on the UK clock, summer time included: 23 November 2026, 14:05."""
    return format_datetime(instant(value), "d MMMM y, HH:mm")


def time_of_day(value: datetime | str) -> str:
    """The time on the UK clock, summer time included: 14:05."""
    return format_datetime(instant(value), "HH:mm")


def instant(value: datetime | date | str) -> datetime | date:
    """A datetime, or one written in ISO 8601 as the API and signed files carry it ("...Z");
    one without a zone is UTC, like every time we store. A plain date stays a date."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


def months(count: int) -> str:
    """A duration in months, with the language's own plural forms."""
    return ngettext("%(num)d month", "%(num)d months", count)


# Catalogues


def catalogue_paths(directory: Path = TRANSLATIONS) -> list[tuple[Path, Path]]:
    """(.po, .mo) for every language that has a catalogue."""
    found = sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return [(po, po.with_suffix(".mo")) for po in found]


def warn_of_stale_catalogues(directory: Path = TRANSLATIONS) -> None:
    """Say so when a .mo is missing or older than its .po: Flask-Babel would quietly serve English
    (or old Welsh) instead. Compiling is `make install`'s job, never the app's."""
    for po, mo in catalogue_paths(directory):
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            log.warning("%s is missing or older than %s: run `make install`", mo, po.name)


# Messages that other modules write in plain English and claimant pages show through the
# `translated` filter (refusals from grants and clients, the expired-form page). Listed here so
# that `make messages` extracts them and the Welsh catalogue keeps them; a message built with a
# name or number in it cannot be looked up this way and stays in English until its module
# marks it with _() itself.
MADE_ELSEWHERE = (
    N_("This form had expired. Go back, reload the page and try again."),
    N_("What you sent was too large. Go back and try again with less."),
    N_("Choose at least one thing they can see or do"),
    N_("Choose from the things they asked for"),
    N_("Choose how long they can have access"),
    N_("Say why they need access"),
    N_("Say who they are to you"),
    N_("The end date must be in the future"),
    N_("Access can last 6 months at most"),
    N_("Choose at least one way we can contact them"),
    N_("Enter the name of the person we should contact"),
    N_("Say why we should contact them"),
    N_("A nominated contact can last 6 months at most"),
    N_("DWP has paused this access. You can keep it when they restart it"),
    N_("This access has already ended"),
    N_("This access does not need checking. It ends on its end date"),
    N_("Not a valid choice."),
    N_("DWP has paused this access. You can change it when they restart it"),
    N_("To take everything away, use Stop access instead"),
    N_("You can only take things away here, not add them"),
    N_("You did not untick anything, so nothing has changed"),
    N_("You can only choose a later start date than they asked for"),
    N_("You can only make the dates shorter here, not longer"),
    N_("You did not change the dates, so nothing has changed"),
)
