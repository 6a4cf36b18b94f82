"""When an appeal against a Mandatory Reconsideration decision is due: one calendar month from
the decision date, and 13 months at the outside (a late appeal the tribunal may still accept).

Pure date arithmetic on the decision's date as the claimant's letter gives it (a UK day).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

DEADLINE_MONTHS = 1
OUTSIDE_LIMIT_MONTHS = 13
UK = ZoneInfo("Europe/London")


Day = TypeVar("Day", date, datetime)


def months_after(day: Day, months: int) -> Day:
    """The same day (and time, for a moment) `months` calendar months later; a day the month
    lacks (31 January plus one month) becomes that month's last day (28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def deadline(decided_on: date) -> date:
    """The last day to appeal in time."""
    return months_after(decided_on, DEADLINE_MONTHS)


def outside_limit(decided_on: date) -> date:
    """The last day any appeal can be made, late ones included."""
    return months_after(decided_on, OUTSIDE_LIMIT_MONTHS)


@dataclass(frozen=True, slots=True)
class Dates:
    """A decision's day and its appeal deadlines."""

    decided_on: date
    appeal_by: date
    outside_limit: date

    @classmethod
    def of(cls, decided_at: datetime) -> Dates:
        day = uk_day(decided_at)
        return cls(day, deadline(day), outside_limit(day))


def uk_day(moment: datetime) -> date:
    """The day `moment` falls on in the UK, summer time included."""
    return moment.astimezone(UK).date()


def start_of(day: date) -> datetime:
    """Midnight at the start of a UK day, as the moment stored for a decision made that day."""
    return datetime.combine(day, datetime.min.time(), tzinfo=UK).astimezone(ZoneInfo("UTC"))
