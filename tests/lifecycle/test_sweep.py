"""The sweep, safe to run from cron every few minutes: it ends grants past their end date,
queues reminders 14 and 2 days before review and end dates, sends the outbox through a sender,
and is idempotent. Time moves only through the injected clock."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from broker import clock, sweep
from broker.consent import grants
from broker.extensions import db
from broker.messages import notify
from broker.models import (
    AccessToken,
    JobLock,
    OutboxMessage,
    RefreshToken,
)
from tests.factories import bearer, bound, issue_token, make_adviser, make_grant, signer
from tests.lifecycle import senders
from tests.lifecycle.senders import BrokenSender
from tests.staff.helpers import audit_actions, fresh, phone_grant

LONDON = ZoneInfo("Europe/London")


def run(sender) -> sweep.SweepReport:  # noqa: ANN001
    return sweep.run(now=clock.now(), sender=sender, services=bound())


def queued(kind: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = db.select(OutboxMessage).order_by(OutboxMessage.created_at, OutboxMessage.dedupe_key)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def test_a_grant_past_its_end_date_is_ended_with_its_tokens_and_audited(
    people, frozen_clock, sender, client
):
    grant = make_grant(people.claimant, people.adviser, months=1)
    token, jti = issue_token(grant)
    db.session.add(
        RefreshToken(
            token_hash="0" * 64,
            family_id="f",
            grant_id=grant.id,
            client_id="c",
            scopes=grant.scopes,
            issued_at=clock.now(),
            expires_at=grant.ends_at,
        )
    )
    db.session.commit()
    frozen_clock.advance(days=32)

    report = run(sender)

    grant = fresh(grant)
    assert report.expired == 1
    assert (grant.status, grant.ended_at, grant.ended_by) == (
        "expired",
        grant.ends_at,
        grants.SWEEP_ACTOR,
    )
    assert db.session.get(AccessToken, jti).revoked_at == clock.now()
    assert db.session.scalar(db.select(RefreshToken.revoked_at)) == clock.now()
    assert audit_actions(people.claimant.id)[-1] == "grant.expire"


def test_a_second_run_changes_nothing(people, frozen_clock, sender):
    make_grant(people.claimant, people.adviser, months=1)
    frozen_clock.advance(days=20)  # inside the 14-day window before the end
    first = run(sender)
    events = audit_actions(people.claimant.id)
    messages = queued()

    second = run(sender)

    # Reminders to claimant and adviser; and the alert that access was given, sent once too.
    assert (first.reminders_queued, first.sent) == (2, 3)
    assert (second.expired, second.reminders_queued, second.sent) == (0, 0, 0)
    assert audit_actions(people.claimant.id) == events
    assert [m.id for m in queued()] == [m.id for m in messages]
    assert len(sender.sent) == 3


def test_grants_that_have_not_ended_are_left_alone(people, frozen_clock, sender):
    grant = make_grant(people.claimant, people.adviser, months=3)
    frozen_clock.advance(days=10)

    report = run(sender)

    assert report.expired == 0
    assert fresh(grant).status == "active"


def test_the_claimant_is_reminded_14_and_2_days_before_the_review_and_the_end(
    people, frozen_clock, sender
):
    grant = phone_grant(
        people.claimant, people.adviser, people.staff, now=clock.now(), months=3, review_months=1
    )
    db.session.query(OutboxMessage).delete()  # leave out the "recorded by phone" notice
    db.session.commit()
    review, end = grant.review_at, grant.ends_at

    for moment in (
        review - timedelta(days=14, hours=-1),
        review - timedelta(days=2, hours=-1),
        review + timedelta(days=1),
        end - timedelta(days=14, hours=-1),
        end - timedelta(days=2, hours=-1),
    ):
        frozen_clock.now = moment
        run(sender)

    to_claimant = [m for m in queued() if m.account_id == people.claimant.id]
    assert [m.kind for m in to_claimant] == [
        "review_reminder",
        "review_reminder",
        "end_reminder",
        "end_reminder",
    ]
    assert [m.dedupe_key.split(":")[-2] for m in to_claimant] == ["14", "2", "14", "2"]
    date = f"{review.astimezone(LONDON):%-d %B %Y}"  # the claimant's own clock
    assert to_claimant[0].body == (
        "Priya Shah from Northside Citizens Advice can see your journal. "
        f"Check by {date} that you still want this, or their access will stop."
    )
    assert to_claimant[2].body == (
        "Priya Shah from Northside Citizens Advice's access to your "
        f"journal ends on {end.astimezone(LONDON):%-d %B %Y}."
    )


def test_the_adviser_is_reminded_before_their_access_stops_while_it_works(
    people, frozen_clock, sender
):
    grant = phone_grant(
        people.claimant, people.adviser, people.staff, now=clock.now(), months=3, review_months=1
    )
    for moment in (
        grant.review_at - timedelta(days=13),
        grant.review_at - timedelta(days=1),
        grant.ends_at - timedelta(days=13),
    ):  # review lapsed: access has stopped
        frozen_clock.now = moment
        run(sender)

    to_adviser = [m for m in queued() if m.account_id == people.adviser.id]
    # Two reminders while it works; once the review date passed, that it is paused (issue 23).
    assert [m.kind for m in to_adviser] == ["adviser_review_reminder"] * 2 + ["grant_review_due"]
    assert to_adviser[0].body == (
        "Your access to Alex Morgan's journal stops on "
        f"{grant.review_at.astimezone(LONDON):%-d %B %Y} unless they confirm it."
    )
    assert to_adviser[2].body.startswith(
        "Your access to Alex Morgan's journal is paused from "
        f"{grant.ends_at.astimezone(LONDON) - timedelta(days=13):%-d %B %Y}: they have not "
        "checked it by its review date."
    )


def test_when_the_14_day_window_was_missed_only_the_2_day_reminder_is_queued(
    people, frozen_clock, sender
):
    grant = make_grant(people.claimant, people.adviser, months=1)
    frozen_clock.now = grant.ends_at - timedelta(days=1)

    run(sender)

    assert [m.dedupe_key.split(":")[-2] for m in queued("end_reminder")] == ["2"]


def test_confirming_a_review_moves_its_date_so_no_more_review_reminders(
    people, frozen_clock, sender
):
    grant = phone_grant(
        people.claimant, people.adviser, people.staff, now=clock.now(), months=3, review_months=1
    )
    frozen_clock.now = grant.review_at - timedelta(days=10)
    run(sender)
    grants.confirm_review(
        grant, by=f"claimant:{people.claimant.id}", now=clock.now(), signer=signer()
    )
    db.session.commit()
    frozen_clock.now = grant.review_at - timedelta(days=1)

    run(sender)

    assert len(queued("review_reminder")) == 1


def test_queuing_the_same_reminder_twice_keeps_one_row(people, sender):
    grant = make_grant(people.claimant, people.adviser, months=1)
    owed = grants.Reminder(grant, "end", grant.ends_at, 14)

    added = [notify.reminder(owed, now=clock.now(), adviser_too=True) for _ in range(3)]
    db.session.commit()

    assert added == [2, 0, 0]
    assert len(queued("end_reminder")) + len(queued("adviser_end_reminder")) == 2


def test_each_message_is_sent_once_through_the_sender_and_marked_sent(people, sender, frozen_clock):
    grant = make_grant(people.claimant, people.adviser)
    run(sender)  # the claimant's alert that access was given (issue 23)
    sender.sent.clear()
    notify.case_decided(grant, now=clock.now(), decision=None)
    db.session.commit()

    report = run(sender)
    again = run(sender)

    assert (report.sent, again.sent) == (2, 0)
    assert sorted(m.to for m in sender.sent) == sorted(
        [people.claimant.account.username, people.adviser.account.username]
    )
    assert all(m.sent_at == clock.now() and m.attempts == 1 for m in queued())


def test_a_failed_send_is_retried_on_later_runs_then_left_for_a_person(people, frozen_clock):
    notify.queue(
        account_id=people.claimant.id, kind="test", body="Hello", dedupe_key="k", now=clock.now()
    )
    db.session.commit()
    broken = BrokenSender()

    reports = []
    for _ in range(notify.MAX_ATTEMPTS + 2):
        reports.append(run(broken))
        frozen_clock.advance(minutes=5)

    [message] = queued()
    assert broken.tries == notify.MAX_ATTEMPTS  # each run tries it once, never in a loop
    assert (message.sent_at, message.attempts) == (None, notify.MAX_ATTEMPTS)
    assert message.last_error == "ConnectionError: notifications service unavailable"
    assert reports[-1].given_up == 1 and reports[-1].failed == 0


def test_one_failure_does_not_stop_the_other_messages(people):
    for n in range(3):
        notify.queue(
            account_id=people.claimant.id,
            kind="test",
            body=f"m{n}",
            dedupe_key=f"k{n}",
            now=clock.now(),
        )
    db.session.commit()

    class FailsOnSecond:
        def __init__(self) -> None:
            self.bodies: list[str] = []

        def send(self, message: notify.Message) -> None:
            if message.body == "m1":
                raise TimeoutError("slow")
            self.bodies.append(message.body)

    flaky = FailsOnSecond()
    report = run(flaky)

    assert (report.sent, report.failed) == (2, 1)
    assert sorted(flaky.bodies) == ["m0", "m2"]


def test_a_run_while_another_holds_the_lease_does_nothing(people, frozen_clock, sender):
    make_grant(people.claimant, people.adviser, months=1)
    frozen_clock.advance(days=40)
    assert sweep.acquire("another-run", now=clock.now())  # a long run, still working

    blocked = run(sender)

    assert blocked.ran is False
    assert blocked.expired == 0
    assert db.session.scalar(db.select(JobLock.holder)) == "another-run"


def test_a_lapsed_lease_from_a_crashed_run_is_taken_over(people, frozen_clock, sender):
    make_grant(people.claimant, people.adviser, months=1)
    assert sweep.acquire("crashed-run", now=clock.now())
    frozen_clock.advance(days=40)

    report = run(sender)

    assert report.ran is True and report.expired == 1
    assert db.session.scalar(db.select(JobLock.holder)) == ""  # released when done


def test_a_run_that_lost_its_lease_stops(people, sender):
    holder = sweep.new_holder()
    assert sweep.acquire(holder, now=clock.now())
    db.session.execute(db.update(JobLock).values(holder="someone-else"))
    db.session.commit()

    try:
        sweep.renew(holder, now=clock.now())
    except sweep.LeaseLost:
        pass
    else:
        raise AssertionError("renewing a lease held by another run succeeded")


def test_the_command_prints_a_summary_and_progress_for_large_runs(runner, people, frozen_clock):
    for n in range(5):  # five relationships: one grant each
        make_grant(people.claimant, make_adviser(f"Adviser {n}"), months=1)
    frozen_clock.advance(days=40)
    senders.COLLECTED.clear()

    result = runner.invoke(
        args=["sweep", "--batch", "2", "--sender", "tests.lifecycle.senders:Collecting"]
    )

    assert result.exit_code == 0, result.output
    assert "Ending grants past their end date: 2/5" in result.output
    assert "Ending grants past their end date: 5/5" in result.output
    assert "Ended 5 grant(s) past their end date." in result.output
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(
                db.select(grants.Grant).where(grants.Grant.status == "expired").subquery()
            )
        )
        == 5
    )


def test_the_command_uses_the_logging_sender_by_default(runner, people, caplog):
    grant = make_grant(people.claimant, people.adviser)
    notify.suspended(grant, now=clock.now())
    db.session.commit()

    with caplog.at_level("INFO", logger="broker.messages.notify"):
        result = runner.invoke(args=["sweep", "--quiet"])

    assert result.exit_code == 0 and result.output == ""
    assert "outbox: grant_suspended message" in caplog.text
    assert "Alex Morgan" not in caplog.text  # bodies hold names: not logged
    assert all(m.sent_at is not None for m in queued())


def test_an_expired_grants_token_is_refused_before_and_after_the_sweep(
    people, frozen_clock, sender, client
):
    grant = make_grant(people.claimant, people.adviser, months=1)
    frozen_clock.now = grant.ends_at - timedelta(seconds=60)
    token, _ = issue_token(grant)
    frozen_clock.now = grant.ends_at

    before = client.get("/api/v1/mr-decisions", headers=bearer(token))
    run(sender)
    after = client.get("/api/v1/mr-decisions", headers=bearer(token))

    assert (before.status_code, after.status_code) == (401, 401)
