"""The broker's one source of the current time (aware UTC, replaceable in tests), and the UK
calendar: the day a moment falls on there, the moment a day starts, months after a day."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time as an aware UTC datetime."""
    return _now()


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the real one."""
    global _now
    _now = source if source is not None else (lambda: datetime.now(UTC))


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch, exact, for the audit chain's canonical form."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, UTC)


def from_driver(value: datetime | str) -> datetime:
    """A timestamp read with plain SQL: aware from psycopg, naive UTC text from SQLite."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def to_driver(moment: datetime, *, postgres: bool) -> datetime | str:
    """A timestamp for plain SQL, as the UTCDateTime column stores it: aware for psycopg, naive
    UTC text for SQLite (SQLAlchemy's format, so that it orders with the rows the ORM wrote)."""
    if postgres:
        return moment
    # isoformat, not strftime("%Y-%m-%d %H:%M:%S.%f"): the same text, at a fraction of the cost
    # (each DPoP request stores its proof's expiry through here).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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


def uk_day(moment: datetime) -> date:
    """The day `moment` falls on in the UK, summer time included."""
    return moment.astimezone(UK).date()


def start_of(day: date) -> datetime:
    """Midnight at the start of a UK day, as the moment stored for a decision made that day."""
    return datetime.combine(day, datetime.min.time(), tzinfo=UK).astimezone(UTC)
