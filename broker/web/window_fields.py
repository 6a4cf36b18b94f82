"""The date window's two fields ("Only from", "Until"), on the claimant's forms, and the window
in plain words wherever a grant is shown (issue 16). The rules are windows.py's."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from flask_babel import format_date, gettext
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from ..consent.windows import BACKWARDS, Window, WindowRefused, checked, from_driver
from ..i18n import N_

# "3 3 2026", "3/3/2026", "03-03-2026": day, month, year, as people write them here.
_DAY_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})[\s/.-]+(\d{1,2})[\s/.-]+(\d{4})\s*$")


NOT_A_DATE = N_("Enter a real date, like 3 3 2026")


class WindowForm(FlaskForm):
    """Read beside the page's own form, which has checked the CSRF token already."""

    class Meta:
        csrf = False

    date_from = StringField(N_("Only from this date (optional)"), validators=[Length(max=20)])
    date_to = StringField(N_("Until this date (optional)"), validators=[Length(max=20)])


def read_day(text: str | None) -> date | None:
    """The day typed, None if left empty; ValueError if it is not a real date."""
    if not text or not text.strip():
        return None
    match = _DAY_MONTH_YEAR.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    return date.fromisoformat(text.strip())


def chosen(form: WindowForm, *, today: date) -> tuple[Window, dict[str, str]]:
    """The window the claimant typed, and what is wrong with it in their words (field -> error)."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for field in (form.date_from, form.date_to):
        try:
            days[field.name] = read_day(field.data)
        except ValueError:
            days[field.name] = None
            errors[field.name] = gettext(NOT_A_DATE)
    if errors:
        return Window(), errors
    try:
        return checked(days["date_from"], days["date_to"], today=today), {}
    except WindowRefused as refusal:
        return Window(), {"date_to": _plain(refusal)}


def _plain(refusal: WindowRefused) -> str:
    if refusal.reason == BACKWARDS:
        return gettext("The end date must be on or after the start date")
    return gettext("Choose dates less than a year from today")


def words(date_from: date | str | None, date_to: date | str | None) -> str:
    """The window as the claimant reads it (days, or a receipt's ISO days); empty when none."""
    date_from, date_to = from_driver(date_from), from_driver(date_to)
    if date_from and date_to:
        return gettext("From %(start)s to %(end)s", start=_day(date_from), end=_day(date_to))
    if date_from:
        return gettext("Only from %(start)s", start=_day(date_from))
    if date_to:
        return gettext("Only up to %(end)s", end=_day(date_to))
    return ""


def staff_words(date_from: date | None, date_to: date | None) -> str:
    """The window in English for staff and advisers."""
    if date_from and date_to:
        return f"Only entries from {_en(date_from)} to {_en(date_to)}"
    if date_from:
        return f"Only entries from {_en(date_from)}"
    if date_to:
        return f"Only entries up to {_en(date_to)}"
    return ""


def _day(value: date) -> str:
    return format_date(value, "d MMMM y")


def _en(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def register(app: Flask) -> None:
    app.jinja_env.globals.update(window_words=words, staff_window_words=staff_words)
