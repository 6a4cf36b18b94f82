"""When an appeal against a Mandatory Reconsideration decision is due: one calendar month from
the decision date, and 13 months at the outside (a late appeal the tribunal may still accept).

Pure date arithmetic on the decision's date as the claimant's letter gives it (a UK day).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

DEADLINE_MONTHS = 1
OUTSIDE_LIMIT_MONTHS = 13
UK = ZoneInfo("Europe/London")


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later; a day the month lacks (31 January plus
    one month) becomes that month's last day (28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadline(decided_on: date) -> date:
    """The last day to appeal in time."""
    return months_after(decided_on, DEADLINE_MONTHS)


def outside_limit(decided_on: date) -> date:
    """The last day any appeal can be made, late ones included."""
    return months_after(decided_on, OUTSIDE_LIMIT_MONTHS)


def uk_day(moment: datetime) -> date:
    """The day `moment` falls on in the UK, summer time included."""
    return moment.astimezone(UK).date()


def start_of(day: date) -> datetime:
    """Midnight at the start of a UK day, as the moment stored for a decision made that day."""
    return datetime.combine(day, datetime.min.time(), tzinfo=UK).astimezone(ZoneInfo("UTC"))
