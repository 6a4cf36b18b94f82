"""The appeal deadline: one calendar month from the decision date, clamped to the month's last
day, and 13 months at the outside."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from broker import clock
from broker.casework import appeals


@pytest.mark.parametrize(
    ("decided_on", "deadline"),
    [
        (date(2027, 1, 31), date(2027, 2, 28)),  # not a leap year
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (date(2027, 3, 31), date(2027, 4, 30)),
        (date(2027, 1, 15), date(2027, 2, 15)),
        (date(2027, 12, 31), date(2028, 1, 31)),  # into the next year
        (date(2027, 2, 28), date(2027, 3, 28)),
    ],
)
def test_the_deadline_is_one_calendar_month_later_or_that_months_last_day(decided_on, deadline):
    assert appeals.deadline(decided_on) == deadline


def test_the_outside_limit_is_thirteen_months():
    assert appeals.outside_limit(date(2027, 1, 31)) == date(2028, 2, 29)
    assert appeals.outside_limit(date(2026, 1, 31)) == date(2027, 2, 28)
    assert appeals.outside_limit(date(2027, 6, 10)) == date(2028, 7, 10)


def test_a_decision_day_is_the_uk_day_in_summer_time_too():
    day = date(2027, 7, 15)
    stored = clock.start_of(day)

    assert stored == datetime(2027, 7, 14, 23, 0, tzinfo=UTC)
    assert clock.uk_day(stored) == day
    assert clock.uk_day(clock.start_of(date(2027, 1, 31))) == date(2027, 1, 31)
