"""The scheduled work runs itself (issue 26): one runner acts at a time across every process,
a crashed runner's lease lapses and another takes over, and each job's run is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from broker import clock, scheduler
from broker.extensions import db
from broker.models import AuditCheckpoint, JobLock, JobRun
from broker.scheduler import Job, Scheduler
from tests.factories import make_people

ALWAYS = timedelta(0)


def _probe(acted: list[str], who: str) -> Job:
    return Job("probe", ALWAYS, lambda: acted.append(who))


def test_two_runners_on_one_database_only_one_acts(app: Flask):
    acted: list[str] = []
    first = Scheduler(app, holder="first", work=[_probe(acted, "first")])
    second = Scheduler(app, holder="second", work=[_probe(acted, "second")])

    for _ in range(3):
        first.step()
        second.step()

    assert acted == ["first", "first", "first"]
    assert not second.holding


def test_a_runner_that_stops_renewing_is_replaced_once_its_lease_lapses(app: Flask):
    acted: list[str] = []
    crashed = Scheduler(app, holder="crashed", work=[_probe(acted, "crashed")])
    waiting = Scheduler(app, holder="waiting", work=[_probe(acted, "waiting")])
    crashed.step()  # takes the lease, then (say) the process is killed: nothing releases it
    assert waiting.step() == []  # within the lease: it waits

    start = clock.now()
    clock.set_clock(lambda: start + scheduler.LEASE + timedelta(seconds=1))
    try:
        assert waiting.step() == ["probe"]
        # The stalled runner comes back: its lease is gone, so it does nothing.
        assert crashed.step() == []
    finally:
        clock.set_clock(None)

    assert acted == ["crashed", "waiting"]
    assert waiting.holding and not crashed.holding


def test_a_runner_renews_its_lease_every_third_of_it_not_every_pass(app: Flask):
    """A pass a second must not be a write a second: SQLite has one writer, shared with requests."""
    runner = Scheduler(app, holder="steady", work=[])
    start = clock.now()
    expiries = []
    try:
        for seconds in (0, 1, 5, 9, 11, 12, 21):
            clock.set_clock(lambda seconds=seconds: start + timedelta(seconds=seconds))
            runner.step()
            with app.app_context():
                expiries.append(db.session.get(JobLock, scheduler.LOCK_NAME).expires_at - start)
    finally:
        clock.set_clock(None)

    lease = scheduler.LEASE
    renewed_at = [timedelta(seconds=s) + lease for s in (0, 0, 0, 0, 11, 11, 21)]
    assert expiries == renewed_at


def test_a_runner_that_stops_gives_the_lease_back_for_the_next_at_once(app: Flask):
    acted: list[str] = []
    leaving = Scheduler(app, holder="leaving", work=[_probe(acted, "leaving")])
    next_one = Scheduler(app, holder="next", work=[_probe(acted, "next")])
    leaving.step()
    leaving.stop()
    leaving.run()  # stopped already: gives the lease back and returns

    assert next_one.step() == ["probe"]


def test_the_jobs_run_when_due_and_their_records_show_success_and_duration(app: Flask):
    with app.app_context():
        make_people()  # audit events to seal
    runner = Scheduler(app, holder="only")

    assert runner.step() == [scheduler.CHECKPOINT, scheduler.SWEEP, scheduler.RETENTION]
    assert runner.step() == []  # none is due again for a minute (five, sixty)

    with app.app_context():
        records = {row.name: row for row in db.session.scalars(db.select(JobRun))}
        assert set(records) == {"checkpoint", "sweep", "retention"}
        for record in records.values():
            assert record.last_success_at is not None
            assert record.last_started_at <= record.last_success_at
            assert record.last_duration_ms is not None and record.last_duration_ms >= 0
            assert record.last_error is None
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditCheckpoint)) == 1


def test_a_failing_job_records_its_error_and_keeps_its_last_success(app: Flask):
    outcomes = iter([None, RuntimeError("the mail server said no")])

    def flaky() -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    runner = Scheduler(app, holder="only", work=[Job("flaky", ALWAYS, flaky)])
    runner.step()
    runner.step()

    with app.app_context():
        record = db.session.get(JobRun, "flaky")
        assert record.last_error == "RuntimeError: the mail server said no"
        assert record.last_error_at is not None
        assert record.last_success_at is not None  # the first run's
        assert record.last_success_at <= record.last_error_at


@pytest.mark.parametrize("seconds", [60, 300])
def test_the_sweep_interval_is_a_setting(seconds: int):
    config = {"BROKER_SWEEP_SECONDS": seconds}
    assert scheduler.sweep_interval(config) == timedelta(seconds=seconds)
