"""A date window on a grant: what it lets them see only from (and until) a UK calendar day.

The window is two UK days, both inclusive, either open. A day maps to the stored UTC timestamps
as the UK clock has it that day: from the midnight that starts `date_from` (clock.start_of)
up to, but not including, the midnight that starts the day after `date_to`, summer time
included. So an entry written at 00:30 UK time on 3 March belongs to 3 March, whatever UTC says.
Every dated row the API serves is measured by its own moment: a journal entry's created_at, an
MR decision's decided_at, a to-do's due_at, a payment's paid_at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..clock import start_of

# A window may start no later than this far ahead: a later start would hide everything for
# longer than any grant lasts, which is a mistake, not a choice.
FURTHEST_AHEAD = timedelta(days=366)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class WindowRefused(ValueError):
    """A window that cannot be: in words the claimant (or a client's developer) can act on;
    `reason` says which rule, for a page that words it its own way."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


BACKWARDS, TOO_FAR = "backwards", "too_far"


@dataclass(frozen=True, slots=True)
class Window:
    date_from: date | None = None
    date_to: date | None = None

    @property
    def open(self) -> bool:
        return self.date_from is None and self.date_to is None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The window as UTC moments: the first one inside it, the first one after it."""
        start = start_of(self.date_from) if self.date_from else None
        after = start_of(self.date_to + timedelta(days=1)) if self.date_to else None
        return start, after

    def holds(self, moment: datetime) -> bool:
        start, after = self.bounds()
        return (start is None or moment >= start) and (after is None or moment < after)

    def within(self, wider: Window) -> bool:
        """True when this window lets through nothing `wider` does not."""
        starts_later = wider.date_from is None or (
            self.date_from is not None and self.date_from >= wider.date_from
        )
        ends_sooner = wider.date_to is None or (
            self.date_to is not None and self.date_to <= wider.date_to
        )
        return starts_later and ends_sooner

    def as_json(self) -> dict[str, str | None]:
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


OPEN = Window()


def of(grant: object) -> Window:
    """A grant's window (anything with date_from and date_to)."""
    return Window(getattr(grant, "date_from", None), getattr(grant, "date_to", None))


def stored(date_from: date | str | None, date_to: date | str | None) -> Window:
    """A window as a row holds it (plain SQL or stored JSON); OPEN when it has no dates."""
    if date_from is None and date_to is None:
        return OPEN
    return Window(from_driver(date_from), from_driver(date_to))


def from_driver(value: date | str | None) -> date | None:
    """A Date column read with plain SQL: a date from psycopg, ISO text from SQLite."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def parse_day(value: object, field: str) -> date | None:
    """An ISO calendar day (YYYY-MM-DD) as sent, None if not sent; WindowRefused otherwise."""
    if value is None or value == "":
        return None
    # Only YYYY-MM-DD: date.fromisoformat also takes week dates (2026-W48-5) and 20261130.
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise WindowRefused(f"{field} must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise WindowRefused(f"{field} must be a date written YYYY-MM-DD") from None


def checked(date_from: date | None, date_to: date | None, *, today: date) -> Window:
    """The window, refused if it ends before it starts or starts too far ahead."""
    if date_from and date_to and date_to < date_from:
        raise WindowRefused("The end date must be on or after the start date", BACKWARDS)
    for day in (date_from, date_to):
        if day is not None and day > today + FURTHEST_AHEAD:
            raise WindowRefused("The dates must be within a year from today", TOO_FAR)
    return Window(date_from, date_to)


def no_earlier(asked: Window, chosen: Window) -> Window:
    """What the claimant chose on a consent screen, held to what the request asked: they may
    start it later (or end it sooner), never reach further back than the request did."""
    if not chosen.within(asked):
        raise WindowRefused("You can only choose a later start date than they asked for")
    return chosen
