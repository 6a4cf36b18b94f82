"""Watches on to-dos and payments (issue 27 item 5, security.md 80): an adviser is told when a
to-do is due within 3 days or overdue, and when a payment is lower than the one before or
missing on its expected day; each event once, and only through the one rule of what may be told
(the scope, the date window, a live grant)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from broker import sweep
from broker.casework import item_watches, watches
from broker.consent import grants
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import Delivery, ItemNotice, ItemWatch, Payment, Todo
from tests.factories import (
    bearer,
    bound,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
    messages_to,
    signer,
)
from tests.lifecycle import senders
from tests.window.dated import windowed

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
CONSOLE = "adviser-console"


@pytest.fixture
def scene(app, ctx, frozen_clock):  # noqa: ANN001, ANN201
    frozen_clock.now = NOW
    sam = make_claimant("Sam Patel")
    priya = make_adviser("Priya Shah")
    priya.tell_by = watches.EMAIL
    db.session.commit()
    return app, sam, priya


def _grant(sam, priya, scopes="todo:read payments:read", window=None):  # noqa: ANN001, ANN202
    if window is not None:
        return windowed(sam, priya, window, scopes)
    return make_grant(sam, priya, scopes)


def _watch(app, grant, path: str, client_id: str = CONSOLE) -> int:  # noqa: ANN001
    token, _jti = issue_token(grant, client_id=client_id)
    db.session.commit()
    return app.test_client().post(f"/api/v1/{path}", headers=bearer(token)).status_code


def _sweep(now: datetime = NOW) -> sweep.SweepReport:
    return sweep.run(now=now, sender=senders.Collecting(), services=bound(), checkpoint=False)


def _told() -> list[tuple[str, str]]:
    db.session.expire_all()
    return sorted((n.item_id, n.kind) for n in db.session.scalars(db.select(ItemNotice)))


def _payment(sam, period_end: datetime, paid_at: datetime, pence: int) -> Payment:  # noqa: ANN001
    payment = Payment(
        claimant_id=sam.id,
        period_start=grants.add_months(period_end, -1),
        period_end=period_end,
        paid_at=paid_at,
        amount_pence=pence,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def test_a_todo_due_within_3_days_and_one_overdue_are_each_told_once(scene):
    app, sam, priya = scene
    soon = Todo(claimant_id=sam.id, title="Upload your fit note", due_at=NOW + 2 * DAY)
    late = Todo(claimant_id=sam.id, title="Book the work coach call", due_at=NOW - DAY)
    later = Todo(claimant_id=sam.id, title="Update your CV", due_at=NOW + 5 * DAY)
    done = Todo(claimant_id=sam.id, title="Done one", due_at=NOW - DAY, done=True)
    db.session.add_all([soon, late, later, done])
    db.session.commit()
    grant = _grant(sam, priya)

    assert _watch(app, grant, "todo-watch") == 201
    first = _sweep()
    again = _sweep()

    assert _told() == sorted([(soon.id, "due_soon"), (late.id, "overdue")])
    assert (first.items_told, again.items_told) == (2, 0)
    emails = messages_to(priya.id, item_watches.TOLD)
    assert len(emails) == 2
    assert any("overdue" in m.body and "Sam Patel" in m.body for m in emails)
    assert not any("fit note" in m.body for m in emails)  # the title stays in the broker
    assert len(chain_events(sam.id, "todo.notified")) == 2

    # Two days on, the one due soon is overdue: a new event, told once; the later one is now
    # within 3 days.
    _sweep(NOW + 2 * DAY + timedelta(hours=1))
    assert (soon.id, "overdue") in _told() and (later.id, "due_soon") in _told()


def test_a_lower_payment_is_told(scene):
    app, sam, priya = scene
    _payment(sam, NOW - 40 * DAY, NOW - 33 * DAY, 81_243)
    lower = _payment(sam, NOW - 10 * DAY, NOW - 3 * DAY, 61_000)
    grant = _grant(sam, priya)

    assert _watch(app, grant, "payment-watch") == 201
    _sweep()
    _sweep()

    assert _told() == [(lower.id, "lower")]
    (email,) = messages_to(priya.id, item_watches.TOLD)
    assert "£610.00" in email.body and "£812.43" in email.body


def test_a_payment_missing_on_its_expected_day_is_told_that_day_not_before(scene):
    app, sam, priya = scene
    # Period ended 4 November, paid 7 November: the next is expected 7 December.
    last = _payment(
        sam, datetime(2026, 11, 4, 12, tzinfo=UTC), datetime(2026, 11, 7, 9, tzinfo=UTC), 81_243
    )
    assert item_watches.expected_day(last) == date(2026, 12, 7)
    grant = _grant(sam, priya)
    assert _watch(app, grant, "payment-watch") == 201

    _sweep(datetime(2026, 12, 6, 23, 0, tzinfo=UTC))  # the 6th in the UK: not yet
    assert _told() == []
    _sweep(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    _sweep(datetime(2026, 12, 8, 8, 0, tzinfo=UTC))
    assert _told() == [(last.id, "missing")]
    (email,) = messages_to(priya.id, item_watches.TOLD)
    assert "2026-12-07" in email.body


def test_a_payment_made_on_time_is_not_missing(scene):
    app, sam, priya = scene
    _payment(sam, NOW - 40 * DAY, NOW - 33 * DAY, 81_243)
    _payment(sam, NOW - 10 * DAY, NOW - 3 * DAY, 81_243)
    grant = _grant(sam, priya)
    assert _watch(app, grant, "payment-watch") == 201
    _sweep()
    assert _told() == []


def test_nothing_is_told_without_the_scope(scene):
    app, sam, priya = scene
    db.session.add(Todo(claimant_id=sam.id, title="Upload", due_at=NOW + DAY))
    db.session.commit()
    grant = _grant(sam, priya, "payments:read")

    assert _watch(app, grant, "todo-watch") == 403
    _sweep()
    assert _told() == [] and db.session.scalars(db.select(ItemWatch)).all() == []


def test_nothing_outside_the_window_is_told(scene):
    app, sam, priya = scene
    inside = Todo(claimant_id=sam.id, title="Upload", due_at=NOW + DAY)
    outside = Todo(claimant_id=sam.id, title="Old", due_at=datetime(2026, 10, 1, tzinfo=UTC))
    db.session.add_all([inside, outside])
    db.session.commit()
    grant = _grant(sam, priya, window=Window(date(2026, 11, 20), None))

    assert _watch(app, grant, "todo-watch") == 201
    _sweep()

    assert _told() == [(inside.id, "due_soon")]
    assert chain_events(sam.id, "todo.notified", "resource") == [(f"todo:{inside.id}:due_soon",)]


@pytest.mark.parametrize("how", ["revoked", "paused"])
def test_the_watch_stops_with_the_consent(scene, how):
    app, sam, priya = scene
    grant = _grant(sam, priya)
    assert _watch(app, grant, "todo-watch") == 201
    db.session.add(Todo(claimant_id=sam.id, title="Upload", due_at=NOW + DAY))
    db.session.commit()
    if how == "revoked":
        grants.revoke(grant, signer=signer(), by=f"claimant:{sam.id}", now=NOW)
    else:
        grants.pause(
            grant, reason="checking", by="staff:x", action="grant.suspend", signer=signer(), now=NOW
        )
    db.session.commit()

    _sweep()

    assert _told() == []
    assert messages_to(priya.id, item_watches.TOLD) == []
    (watch,) = db.session.scalars(db.select(ItemWatch))
    assert watch.ended_at is not None and watch.end_reason == "grant_inactive"
    assert len(chain_events(sam.id, "todo.watch_end")) == 1


def test_an_email_queued_before_revocation_is_withheld(scene):
    app, sam, priya = scene
    db.session.add(Todo(claimant_id=sam.id, title="Upload", due_at=NOW + DAY))
    db.session.commit()
    grant = _grant(sam, priya)
    assert _watch(app, grant, "todo-watch") == 201
    item_watches.check(NOW, limit=10, signer=signer())  # told and queued, not yet sent
    grants.revoke(grant, signer=signer(), by=f"claimant:{sam.id}", now=NOW)
    db.session.commit()
    senders.COLLECTED.clear()

    _sweep()

    assert item_watches.TOLD not in [m.kind for m in senders.COLLECTED]
    (email,) = messages_to(priya.id, item_watches.TOLD)
    delivery = db.session.scalar(db.select(Delivery).where(Delivery.message_id == email.id))
    assert (delivery.status, delivery.last_error) == ("withheld", "grant_inactive")
