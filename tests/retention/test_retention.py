"""Retention (issue 26 item 7, security.md 77): each kind of record is deleted once past its
period (docs/retention.md) and kept before it, in bounded batches; nothing a live grant, a pending
message or an unexpired session needs is deleted; the audit, receipts and grants stay, so
`verify-audit --strict` still passes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from broker import clock, retention, scheduler, sweep
from broker.consent import grants
from broker.extensions import db
from broker.models import (
    AccessToken,
    AuditEvent,
    Delivery,
    ExternalSession,
    Grant,
    JobRun,
    Receipt,
)
from broker.scheduler import Scheduler
from tests.factories import issue_token, signer

from . import rows

STEPS = [(kind, step) for kind in retention.KINDS for step in kind.steps]
HOUR = timedelta(hours=1)


def _present(table, key) -> bool:  # noqa: ANN001
    db.session.expire_all()
    return db.session.get(table, key) is not None


def _count(table) -> int:  # noqa: ANN001
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(table)) or 0


@pytest.mark.parametrize(("kind", "step"), STEPS, ids=[step.name for _kind, step in STEPS])
def test_each_kind_is_deleted_after_its_period_and_kept_before_it(app: Flask, people, kind, step):
    period = timedelta(days=kind.days)
    now = clock.now()
    make = rows.MAKERS[step.name]
    old = make(people, now - period - HOUR)
    young = make(people, now - period + HOUR)
    db.session.commit()

    report = retention.run(now=now, config=app.config)

    assert report.deleted[step.name] == 1
    assert not _present(step.table, old)
    assert _present(step.table, young)


def test_a_session_goes_with_the_one_login_session_it_was_started_from(app: Flask, people):
    old = rows.sessions(people, clock.now() - timedelta(days=3))
    young = rows.sessions(people, clock.now())
    db.session.commit()

    retention.run(now=clock.now(), config=app.config)

    assert not _present(ExternalSession, old)
    assert _present(ExternalSession, young)


def test_a_message_goes_with_its_deliveries(app: Flask, people):
    message = rows.outbox(people, clock.now() - timedelta(days=800))
    db.session.commit()

    def deliveries() -> int:
        db.session.expire_all()
        query = select(func.count()).select_from(Delivery).where(Delivery.message_id == message)
        return db.session.scalar(query) or 0

    assert deliveries() == 2

    retention.run(now=clock.now(), config=app.config)

    assert deliveries() == 0


def test_nothing_a_live_thing_needs_is_deleted_even_at_the_shortest_periods(
    app: Flask, people, frozen_clock, monkeypatch
):
    for kind in retention.KINDS:
        monkeypatch.setitem(app.config, kind.setting, str(kind.least))
    long_ago = clock.now() - timedelta(days=3000)
    live = {
        "a message with a delivery still queued": (rows.outbox(people, long_ago, waiting="queued")),
        "a letter waiting to be printed": rows.outbox(people, long_ago, waiting="print_due"),
        "a decision told under a live watch": rows.mr_decision_notices(people, long_ago, live=True),
        "a contact request waiting for an answer": rows.contact_requests(
            people, long_ago, status="waiting"
        ),
        "a draft waiting for the claimant": rows.mr_drafts(people, clock.now(), status="pending"),
        "a live contact grant's address": rows.contact_addresses(people, long_ago, ended=False),
        "a push still being tried": rows.push_deliveries(people, None),
        "a decision told by a push still being tried": rows.mr_decision_notices(people, long_ago),
        "a to-do told under a live watch": rows.item_notices(people, long_ago, live=True),
        "a to-do told by a push still being tried": rows.item_notices(people, long_ago),
        "an unexpired session": rows.sessions(people, clock.now() - timedelta(hours=11)),
    }
    rows.push_deliveries(
        people, None, notice_id=live["a decision told by a push still being tried"]
    )
    rows.push_deliveries(
        people, None, item_notice_id=live["a to-do told by a push still being tried"]
    )
    token_jti = issue_token(people.grant)[1]  # a live grant's unexpired token
    # A case system's last token under a live grant, long expired: it says the system held
    # access, so that it is told when the grant changes.
    last_token = rows.access_tokens(people, long_ago, client_id="case-system")
    db.session.commit()
    tables = {
        "a message with a delivery still queued": rows.OutboxMessage,
        "a letter waiting to be printed": rows.OutboxMessage,
        "a decision told under a live watch": rows.MRDecisionNotice,
        "a contact request waiting for an answer": rows.ContactRequest,
        "a draft waiting for the claimant": rows.MRDraft,
        "a live contact grant's address": rows.ContactAddress,
        "a push still being tried": rows.PushDelivery,
        "a decision told by a push still being tried": rows.MRDecisionNotice,
        "a to-do told under a live watch": rows.ItemNotice,
        "a to-do told by a push still being tried": rows.ItemNotice,
        "an unexpired session": rows.UserSession,
    }

    retention.run(now=clock.now(), config=app.config)

    gone = [what for what, key in live.items() if not _present(tables[what], key)]
    assert gone == []
    assert _present(AccessToken, token_jti)
    assert _present(AccessToken, last_token)
    assert _present(Grant, people.grant.id)


def test_an_ended_grant_keeps_its_receipts_and_audit_events_when_its_tokens_go(
    app: Flask, people, frozen_clock
):
    grant = people.grant
    _token, jti = issue_token(grant)
    grants.revoke(grant, signer=signer(), by=f"claimant:{people.claimant.id}", now=clock.now())
    db.session.commit()
    receipts = _count(Receipt)
    events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.grant_id == grant.id)
    )
    frozen_clock.advance(days=3 * 365)

    report = retention.run(now=clock.now(), config=app.config)

    assert report.deleted["access_tokens"] == 1 and not _present(AccessToken, jti)
    assert _present(Grant, grant.id)
    assert _count(Receipt) == receipts > 0
    assert events > 0
    assert events == db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.grant_id == grant.id)
    )


def test_a_run_with_more_rows_than_a_batch_deletes_them_all_in_several_transactions(
    app: Flask, people
):
    old = clock.now() - timedelta(days=2)
    for _ in range(25):
        rows.attempts(people, old)
    db.session.commit()

    report = retention.run(now=clock.now(), config=app.config, batch=10)

    assert report.deleted["attempts"] == 25
    assert report.batches == 3
    assert _count(rows.Attempt) == 0


def test_each_batch_is_its_own_transaction_so_a_run_that_fails_keeps_what_it_finished(
    app: Flask, people, monkeypatch
):
    old = clock.now() - timedelta(days=2)
    for _ in range(25):
        rows.attempts(people, old)
    db.session.commit()
    renewals = 0
    renew = sweep.renew

    def dies_in_the_third_batch(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
        nonlocal renewals
        renewals += 1
        if renewals == 3:
            raise RuntimeError("the database went away")
        renew(*args, **kwargs)

    monkeypatch.setattr(sweep, "renew", dies_in_the_third_batch)

    report = retention.run(now=clock.now(), config=app.config, batch=10)

    assert report.errors == ["attempts: RuntimeError: the database went away"]
    assert _count(rows.Attempt) == 5  # two batches of 10 kept
    monkeypatch.setattr(sweep, "renew", renew)
    assert retention.run(now=clock.now(), config=app.config).ran  # the lease was given back


def test_verify_audit_strict_passes_after_a_run_that_deleted_every_kind(
    app: Flask, people, frozen_clock, runner
):
    issue_token(people.grant)
    grants.revoke(
        people.grant, signer=signer(), by=f"claimant:{people.claimant.id}", now=clock.now()
    )
    db.session.commit()
    assert runner.invoke(args=["checkpoint"]).exit_code == 0
    frozen_clock.advance(days=3 * 365)
    long_ago = clock.now() - timedelta(days=1000)
    for make in rows.MAKERS.values():
        make(people, long_ago)
    db.session.commit()

    report = retention.run(now=clock.now(), config=app.config)
    assert all(report.deleted[step.name] >= 1 for _kind, step in STEPS), report.deleted
    checkpoint = runner.invoke(args=["checkpoint"])
    assert checkpoint.exit_code == 0, checkpoint.output
    verified = runner.invoke(args=["verify-audit", "--strict"])

    assert verified.exit_code == 0, verified.output
    assert "Every audit chain is intact." in verified.output


def test_a_second_run_while_one_holds_the_lease_does_nothing(app: Flask, people):
    assert sweep.acquire("another-run", now=clock.now(), name=retention.LOCK_NAME)
    rows.attempts(people, clock.now() - timedelta(days=2))
    db.session.commit()

    report = retention.run(now=clock.now(), config=app.config)

    assert not report.ran and _count(rows.Attempt) == 1


def test_the_scheduler_runs_retention_as_its_own_job_and_records_it(app: Flask, people):
    rows.attempts(people, clock.now() - timedelta(days=2))
    db.session.commit()

    ran = Scheduler(app, holder="only").step()

    assert scheduler.RETENTION in ran
    record = db.session.get(JobRun, scheduler.RETENTION)
    assert record is not None and record.last_success_at is not None
    assert record.last_error is None
    assert _count(rows.Attempt) == 0


def test_the_command_dry_run_counts_per_kind_and_deletes_nothing(app: Flask, people, runner):
    for _ in range(3):
        rows.attempts(people, clock.now() - timedelta(days=2))
    rows.outbox(people, clock.now() - timedelta(days=800))
    db.session.commit()

    dry = runner.invoke(args=["retention", "--dry-run"])

    assert dry.exit_code == 0, dry.output
    assert "Past their time (would delete):" in dry.output
    lines = {line.split()[1]: line.split() for line in dry.output.splitlines()[1:-1]}
    assert lines["attempts"][:3] == ["attempts", "attempts", "3"]
    assert lines["outbox"][:3] == ["messages", "outbox", "1"]
    assert lines["sessions"][2] == "0"
    assert set(lines) == {step.name for _kind, step in STEPS}
    assert _count(rows.Attempt) == 3

    done = runner.invoke(args=["retention"])

    assert done.exit_code == 0, done.output
    assert "Deleted past their time:" in done.output
    assert "4 row(s) in all" in done.output
    assert _count(rows.Attempt) == 0


@pytest.mark.parametrize(
    ("value", "says"),
    [("1", "at least 2"), ("two", "a whole number of days"), ("-3", "at least 2")],
)
def test_a_period_shorter_than_its_kind_allows_is_refused(app: Flask, runner, value, says):
    config = {"BROKER_RETAIN_SESSIONS_DAYS": value}
    with pytest.raises(RuntimeError, match=says):
        retention.periods(config)
    app.config["BROKER_RETAIN_SESSIONS_DAYS"] = value
    try:
        result = runner.invoke(args=["retention", "--dry-run"])
    finally:
        del app.config["BROKER_RETAIN_SESSIONS_DAYS"]
    assert result.exit_code == 2
    assert "BROKER_RETAIN_SESSIONS_DAYS" in result.output and says in result.output


def test_a_period_is_a_setting(app: Flask, people, monkeypatch):
    monkeypatch.setitem(app.config, "BROKER_RETAIN_ATTEMPTS_DAYS", "5")
    rows.attempts(people, clock.now() - timedelta(days=4))
    db.session.commit()
    assert retention.periods(app.config)["attempts"] == timedelta(days=5)

    assert retention.run(now=clock.now(), config=app.config).deleted["attempts"] == 0
    assert (
        retention.run(now=clock.now() + timedelta(days=2), config=app.config).deleted["attempts"]
        == 1
    )


def test_a_table_that_fails_is_named_and_the_other_kinds_still_run(
    app: Flask, people, runner, monkeypatch
):
    def broken(cutoff):  # noqa: ANN001, ANN202
        raise RuntimeError("the table is locked")

    first, *rest = retention.KINDS
    failing = retention.Kind(
        first.name, first.days, first.least, (retention.Step(first.steps[0].table, broken),)
    )
    monkeypatch.setattr(retention, "KINDS", (failing, *rest))
    rows.attempts(people, clock.now() - timedelta(days=2))
    old_code = rows.dpop_proofs(people, clock.now() - timedelta(minutes=1))
    db.session.commit()

    result = runner.invoke(args=["retention"])

    assert result.exit_code == 1
    assert "Failed, the rest ran: attempts: RuntimeError: the table is locked" in result.output
    assert _count(rows.Attempt) == 1
    assert not _present(rows.DpopProof, old_code)
    ran = Scheduler(app, holder="only").step()
    assert scheduler.RETENTION in ran
    db.session.rollback()  # a fresh read: the runner committed in its own session
    record = db.session.get(JobRun, scheduler.RETENTION)
    assert record.last_error == "RuntimeError: attempts: RuntimeError: the table is locked"


def test_a_run_past_its_deadline_stops_and_the_next_goes_on(app: Flask, people, frozen_clock):
    rows.attempts(people, clock.now() - timedelta(days=2))
    db.session.commit()

    stopped = retention.run(now=clock.now(), config=app.config, deadline=clock.now())

    assert not stopped.finished and stopped.total == 0
    assert _count(rows.Attempt) == 1
    carried_on = retention.run(
        now=clock.now(), config=app.config, deadline=clock.now() + timedelta(seconds=1)
    )
    assert carried_on.finished and carried_on.deleted["attempts"] == 1


def test_a_scheduled_run_ends_well_inside_the_schedulers_lease():
    """The checkpoint job never waits behind retention for longer than the lease it runs under."""
    assert retention.SCHEDULED_BUDGET < scheduler.LEASE
