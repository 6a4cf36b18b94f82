"""Two writers at once: two sweeps never both send, and two staff members pinning at once never
get past the limit of three notes. Real threads, real database, no sleeping: events order them."""

from __future__ import annotations

import threading

from broker import clock, sweep
from broker.extensions import db
from broker.messages import notify
from broker.models import OutboxMessage, PinnedNote
from broker.people import records
from tests.factories import bound, make_grant


def test_a_sweep_started_while_another_is_sending_does_nothing(app, people):
    grant = make_grant(people.claimant, people.adviser)
    notify.suspended(grant, now=clock.now())  # two messages: claimant and adviser
    db.session.commit()
    sending, carry_on = threading.Event(), threading.Event()
    sent: list[str] = []

    class HeldSender:
        def send(self, message: notify.Message) -> None:
            sending.set()
            assert carry_on.wait(timeout=30)
            sent.append(message.id)

    first: dict[str, sweep.SweepReport] = {}

    def first_run() -> None:
        with app.app_context():
            first["report"] = sweep.run(now=clock.now(), sender=HeldSender(), services=bound())
            db.session.remove()

    thread = threading.Thread(target=first_run)
    thread.start()
    assert sending.wait(timeout=30)
    with app.app_context():
        second = sweep.run(now=clock.now(), sender=HeldSender(), services=bound())
        db.session.remove()
    carry_on.set()
    thread.join(timeout=30)

    assert second.ran is False
    assert first["report"].sent == 2
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 2
    db.session.expire_all()
    assert all(m.attempts == 1 for m in db.session.scalars(db.select(OutboxMessage)))


def test_two_staff_pinning_at_once_never_pass_three_notes(app, people):
    for n in (1, 2):
        records.pin_note(people.claimant, f"Note {n}", staff=people.staff, now=clock.now())
    db.session.commit()
    claimant_id, staff_id = people.claimant.id, people.staff.id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def pin(body: str) -> None:
        from broker.models import Claimant, StaffMember

        # As the staff page's POST does it: on SQLite a POST takes the write lock at BEGIN.
        with app.test_request_context(method="POST"):
            claimant = db.session.get(Claimant, claimant_id)
            staff = db.session.get(StaffMember, staff_id)
            db.session.rollback()  # start the race from a fresh transaction
            start.wait(timeout=30)
            try:
                records.pin_note(claimant, body, staff=staff, now=clock.now())
                db.session.commit()
                outcomes.append("pinned")
            except records.RecordRefused:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pin, args=(f"Note {n}",)) for n in (3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["pinned", "refused"]
    db.session.rollback()  # read afresh, after both threads
    live = db.session.scalars(db.select(PinnedNote).where(PinnedNote.unpinned_at.is_(None)))
    assert len(list(live)) == 3
