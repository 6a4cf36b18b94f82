"""Rows dated on given UK days, and a grant with a date window, for the window's tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from broker.clock import start_of
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import Adviser, Claimant, Grant, JournalEntry, MRDecision, Payment, Todo
from tests.factories import make_entry, make_grant

ALL_SCOPES = "journal:read journal:sensitive mr:read todo:read payments:read"


def at(day: date, hours: float = 12) -> datetime:
    """A moment on a UK day: `hours` after the UK midnight that starts it."""
    return start_of(day) + timedelta(hours=hours)


def windowed(
    claimant: Claimant,
    adviser: Adviser,
    window: Window,
    scope_names: str = "journal:read mr:read todo:read payments:read",
) -> Grant:
    return make_grant(
        claimant, adviser, scope_names, purpose="Help with the payment cut", window=window
    )


def entry(
    claimant: Claimant, when: datetime, subject: str, sensitive: bool = False
) -> JournalEntry:
    return make_entry(claimant, subject, sensitive, created_at=when)


def decision(claimant: Claimant, when: datetime, subject: str) -> MRDecision:
    row = MRDecision(
        claimant_id=claimant.id, decided_at=when, subject=subject, outcome="not_changed", body="-"
    )
    db.session.add(row)
    db.session.commit()
    return row


def todo(claimant: Claimant, when: datetime, title: str) -> Todo:
    row = Todo(claimant_id=claimant.id, title=title, due_at=when)
    db.session.add(row)
    db.session.commit()
    return row


def payment(claimant: Claimant, when: datetime, pence: int) -> Payment:
    row = Payment(
        claimant_id=claimant.id,
        period_start=when - timedelta(days=30),
        period_end=when,
        paid_at=when,
        amount_pence=pence,
    )
    db.session.add(row)
    db.session.commit()
    return row
