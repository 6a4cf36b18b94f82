"""When an appeal against a Mandatory Reconsideration decision is due: one calendar month from
the decision date, and 13 months at the outside (a late appeal the tribunal may still accept).

Pure date arithmetic on the decision's date as the claimant's letter gives it (a UK day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..clock import months_after, uk_day

DEADLINE_MONTHS = 1
OUTSIDE_LIMIT_MONTHS = 13


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
