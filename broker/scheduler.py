"""The scheduled work, run by the broker itself (issue 26): the sweep every BROKER_SWEEP_SECONDS
(300), the audit checkpoint every BROKER_CHECKPOINT_SECONDS (60), retention (deleting what is
past its time, broker/retention.py) every BROKER_RETENTION_SECONDS (3600), and, when
BROKER_KEY_ROTATE_DAYS is set, the signing key's rotation (broker/chain/keyring.py).

Where it runs: `consent-broker scheduler`, a process of its own. gunicorn.conf.py's `when_ready`
hook starts that command as a child of gunicorn's master (and `on_exit` stops it), so `make run`
and a production host running gunicorn with that file get the scheduled work with nothing else
started; a host may equally run the command on its own (systemd, a container). A child process
rather than a thread in the master, because the master forks the web workers (a thread there
would be copied half-way through whatever it was doing) and must stay free to manage them; and
not inside the workers, where every worker on every host would wake to compete for the work.

Exactly one runner acts at a time across every host: each pass takes or renews the "scheduler"
lease in job_locks (the table the sweep's own lease lives in). A runner that crashes stops
renewing, its lease lapses after LEASE, and a waiting runner takes over; a runner that finds
its lease taken (it stalled past it) stops acting until it can take it again. The sweep and the
checkpoint still take their own leases as well, so a cron job left over from before cannot
overlap them.

When a job is due is read from its record in job_runs (its last start), not kept in memory, so
a runner that takes over carries on the same schedule. Each run records its start, and then
either its success and duration or its error; /readyz reads these.

A plain loop, not a scheduler library (APScheduler and the like): three jobs at fixed intervals
need no more, and such a library's own job store and locking would be a second mechanism beside
the database lease that has to decide who acts.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from flask import Flask

from . import clock, retention, services, sweep, units
from .chain import checkpoints, keyring
from .extensions import db
from .messages import push
from .metrics import JOB_DURATION, JOB_RUNS
from .models import JobRun

log = logging.getLogger(__name__)

LOCK_NAME = "scheduler"
LEASE = timedelta(seconds=30)  # renewed every third of it; a crashed runner's lapses after this
TICK = 1.0  # seconds between passes
SWEEP, CHECKPOINT, RETENTION = "sweep", "checkpoint", "retention"
ROTATE_KEY = "rotate-signing-key"
ROTATION_CHECK = timedelta(minutes=5)  # how often the scheduled rotation asks whether it is due
ERROR_KEPT = 500  # characters of an error's message kept in its record
PARENT_VARIABLE = "BROKER_SCHEDULER_PARENT"  # set by gunicorn.conf.py: the master's process ID


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    action: Callable[[], None]


def jobs(app: Flask) -> list[Job]:
    """The scheduled work: the checkpoint first (it is the most frequent), then the sweep, then
    retention. Retention's periods are checked here, so a bad setting stops the runner at once."""
    config = app.config
    retention.periods(config)

    def checkpoint() -> None:
        try:
            sweep.sign_checkpoint(services.of(app), now=clock.now())
        except sweep.CheckpointBusy:
            pass  # a sweep (or cron's checkpoint) is signing one now: that is this minute's

    def run_sweep() -> None:
        report = sweep.run(
            now=clock.now(),
            sender=services.of(app).sender,
            services=services.of(app),
            checkpoint=bool(config.get("BROKER_CHECKPOINT_ON_SWEEP", True)),
            pusher=push.Pusher(config.get("BROKER_PUSH_CA_BUNDLE")),
        )
        if report.checkpoint_refused:
            raise checkpoints.ChainBroken(report.checkpoint_refused)

    def run_retention() -> None:
        now = clock.now()
        report = retention.run(now=now, config=config, deadline=now + retention.SCHEDULED_BUDGET)
        if report.errors:  # the rest ran; the record shows what did not
            raise RuntimeError("; ".join(report.errors))

    work = [
        Job(CHECKPOINT, checkpoints.interval(config), checkpoint),
        Job(SWEEP, sweep_interval(config), run_sweep),
        Job(RETENTION, retention.interval(config), run_retention),
    ]
    every = keyring.rotate_every(config)
    if every is not None:
        work.append(Job(ROTATE_KEY, min(ROTATION_CHECK, every), rotate_key(app, every)))
    return work


def rotate_key(app: Flask, every: timedelta) -> Callable[[], None]:
    """BROKER_KEY_ROTATE_DAYS: publish the next key once the current one has signed that long
    (and none is waiting), as `consent-broker rotate-signing-key` does, wait included. Asked
    every few minutes rather than run every `every`, so that the period is counted from the
    key's own `signs_from`, whoever rotated it last (a command, or this job)."""

    def rotate() -> None:
        ring = services.of(app).tokens.ring
        now = clock.now()
        if ring.rotation_due(now, every):
            _, new = ring.publish(now, wait=keyring.wait(app.config))
            log.info("scheduler: published signing key kid %s", new.kid)

    return rotate


def sweep_interval(config: Mapping[str, Any]) -> timedelta:
    """How often the sweep runs: BROKER_SWEEP_SECONDS (300)."""
    return timedelta(seconds=int(config.get("BROKER_SWEEP_SECONDS", 300)))


class Scheduler:
    """One runner. `step()` is one pass; `run()` passes every `tick` seconds until stopped."""

    def __init__(
        self,
        app: Flask,
        *,
        holder: str | None = None,
        lease: timedelta = LEASE,
        tick: float = TICK,
        work: list[Job] | None = None,
    ) -> None:
        self.app = app
        self.holder = holder or sweep.new_holder()
        self.lease = lease
        self.tick = tick
        self.jobs = work if work is not None else jobs(app)
        self.holding = False
        self.stopping = threading.Event()
        # When the lease was last renewed or tried for: a pass every second writes to the
        # database only every lease/3, so the runner's own bookkeeping never competes with the
        # requests' writes (SQLite has one writer) while a lapse is still noticed in time.
        self._asked_at: datetime | None = None

    def step(self) -> list[str]:
        """Take or renew the lease and run every job that is due; the names of those run."""
        with self.app.app_context():
            if not self._hold():
                return []
            ran = []
            started = _last_starts()
            for job in self.jobs:
                if self.stopping.is_set() or not self._hold():
                    break
                last = started.get(job.name)
                if last is None or clock.now() - last >= job.every:
                    _run(job)
                    ran.append(job.name)
            return ran

    def run(self, *, parent: int | None = None) -> None:
        """Pass every `tick` seconds until stopped, or until process `parent` is gone (started
        by gunicorn, it ends with the master even if the master was killed)."""
        log.info("scheduler %s: started", self.holder)
        try:
            while not self.stopping.is_set():
                if parent is not None and os.getppid() != parent:
                    log.warning("scheduler: the process that started it is gone; stopping")
                    break
                try:
                    self.step()
                except Exception:  # a database that is away for a moment: try again
                    log.exception("scheduler: a pass failed")
                    self.holding, self._asked_at = False, None
                self.stopping.wait(self.tick)
        finally:
            self.release()
            log.info("scheduler %s: stopped", self.holder)

    def stop(self, *_: object) -> None:
        self.stopping.set()

    def release(self) -> None:
        if not self.holding:
            return
        with self.app.app_context():
            try:
                sweep.release(self.holder, name=LOCK_NAME)
            except Exception:  # noqa: BLE001 - the lease lapses on its own all the same
                log.warning("scheduler: could not give the lease back")
                units.discard()
        self.holding = False

    def _hold(self) -> bool:
        now = clock.now()
        if self._asked_at is not None and timedelta(0) <= now - self._asked_at < self.lease / 3:
            return self.holding
        self._asked_at = now
        if self.holding:
            try:
                sweep.renew(self.holder, now=now, name=LOCK_NAME, lease=self.lease)
                units.keep()
                return True
            except sweep.LeaseLost:
                log.warning("scheduler %s: another runner took the lease", self.holder)
                self.holding = False
        self.holding = sweep.acquire(self.holder, now=now, name=LOCK_NAME, lease=self.lease)
        if self.holding:
            log.info("scheduler %s: took the lease; this runner acts", self.holder)
        return self.holding


def records() -> list[JobRun]:
    """Every job's record: its last start, success, duration and error."""
    return list(db.session.scalars(db.select(JobRun).order_by(JobRun.name)))


def _last_starts() -> dict[str, datetime]:
    """When each job last started: one read a pass, whoever held the lease then."""
    starts = {record.name: record.last_started_at for record in records()}
    units.discard()
    return {name: started for name, started in starts.items() if started is not None}


def _run(job: Job) -> None:
    """Run one job and record how it went (its start first, then its success or its error)."""
    started_at = clock.now()
    record = db.session.get(JobRun, job.name) or JobRun(name=job.name)
    record.last_started_at = started_at
    db.session.add(record)
    units.keep()
    started = time.perf_counter()
    try:
        job.action()
    except Exception as exc:  # noqa: BLE001 - recorded, and the next run tries again
        units.discard()
        log.exception("scheduler: %s failed", job.name)
        error = f"{type(exc).__name__}: {exc}"[:ERROR_KEPT]
        _record(job.name, error=error)
        JOB_RUNS.labels(job.name, "failure").inc()
        return
    elapsed = time.perf_counter() - started
    _record(job.name, duration_ms=round(elapsed * 1000))
    JOB_RUNS.labels(job.name, "success").inc()
    JOB_DURATION.labels(job.name).observe(elapsed)


def _record(name: str, *, duration_ms: int | None = None, error: str | None = None) -> None:
    record = db.session.get(JobRun, name) or JobRun(name=name)
    now = clock.now()
    if error is None:
        record.last_success_at = now
        record.last_duration_ms = duration_ms
        record.last_error = None
    else:
        record.last_error = error
        record.last_error_at = now
    db.session.add(record)
    units.keep()


def serve(app: Flask) -> None:
    """`consent-broker scheduler`: run until SIGTERM or SIGINT, then give the lease back."""
    runner = Scheduler(app)

    def stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        runner.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    parent = os.environ.get(PARENT_VARIABLE)
    runner.run(parent=int(parent) if parent else None)
