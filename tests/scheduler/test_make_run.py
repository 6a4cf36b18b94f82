"""`make run` runs the scheduled work with nothing else started (issue 26): gunicorn, started as
the Makefile starts it (its command, gunicorn.conf.py), starts `consent-broker scheduler` beside
itself; with short intervals a checkpoint is sealed and a queued message sent within seconds,
and stopping gunicorn stops the scheduler, which gives its lease back."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from broker import clock, create_app, scheduler
from broker.extensions import db
from broker.messages import notify
from broker.models import AuditCheckpoint, JobLock, JobRun
from tests import log_check
from tests.conftest import FAST_PASSWORD_HASHING
from tests.factories import make_claimant

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(tmp_path: Path) -> tuple[dict[str, str], Flask]:
    """gunicorn's environment (short intervals, one worker) and an app on the same database."""
    database = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "BROKER_KEY_DIR": str(tmp_path / "keys"),
        "SECRET_KEY": "x" * 40,
        "PORT": str(_free_port()),
        "BROKER_WORKERS": "1",
        "BROKER_SWEEP_SECONDS": "1",
        "BROKER_CHECKPOINT_SECONDS": "1",
        # gunicorn.conf.py's directory for the metrics goes here: a master killed outright
        # cannot remove it itself.
        "TMPDIR": str(tmp_path),
        **{name: str(value) for name, value in FAST_PASSWORD_HASHING.items()},
    }
    env.pop("BROKER_SCHEDULER", None)
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": env["SECRET_KEY"],
            "BROKER_KEY_DIR": env["BROKER_KEY_DIR"],
            **FAST_PASSWORD_HASHING,
        }
    )
    with app.app_context():
        upgrade(revision="heads")
    return env, app


@contextlib.contextmanager
def _serve(env: dict[str, str], errors: Path) -> Iterator[subprocess.Popen]:
    """The Makefile's own command, from the top of the repo where gunicorn.conf.py is; its
    standard error (gunicorn's, the workers' and the scheduler's lines) into `errors`, kept
    with the run's logs for their check (tests/log_check.py)."""
    with (
        errors.open("wb") as stderr,
        subprocess.Popen(
            [str(GUNICORN), "broker:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        ) as server,
    ):
        yield server
    log_check.keep(errors, f"make-run-{server.pid}")


def test_the_served_broker_seals_a_checkpoint_and_sends_the_outbox_by_itself(tmp_path: Path):
    env, app = _environment(tmp_path)
    with app.app_context():
        claimant = make_claimant()  # audit events, not yet sealed
        notify.queue(
            account_id=claimant.id,
            kind="access_alert",
            body="Someone was given access in your name.",
            dedupe_key="make-run-test",
            now=clock.now(),
            outside=True,  # leaves the service by email: the sweep sends it
        )
        db.session.commit()
        assert notify.count_unsent() == 1
        db.session.rollback()

    with _serve(env, tmp_path / "gunicorn.log") as server:
        try:
            sealed = sent = False
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (sealed and sent):
                time.sleep(0.5)
                with app.app_context():
                    sealed = db.session.scalar(db.select(db.func.count(AuditCheckpoint.seq))) > 0
                    sent = notify.count_unsent() == 0
                    db.session.rollback()
            assert sealed, "no checkpoint sealed"
            assert sent, "the queued message was not sent"
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    with app.app_context():
        lease = db.session.get(JobLock, scheduler.LOCK_NAME)
        assert lease is not None and lease.holder == ""  # the scheduler stopped with gunicorn
        records = {row.name: row for row in db.session.scalars(db.select(JobRun))}
        assert records["sweep"].last_success_at and records["checkpoint"].last_success_at
        db.session.rollback()
        db.engine.dispose()
    # gunicorn's lines, its worker's and the scheduler's: each one JSON object (broker/logs.py).
    lines = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines()]
    scheduler_pids = {line["pid"] for line in lines if line["logger"] == "broker.scheduler"}
    assert scheduler_pids and server.pid not in scheduler_pids


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _holder(app: Flask) -> str | None:
    with app.app_context():
        lease = db.session.get(JobLock, scheduler.LOCK_NAME)
        holder = lease.holder if lease is not None else None
        db.session.rollback()
    return holder


def test_the_scheduler_stops_by_itself_when_gunicorn_is_killed_outright(tmp_path: Path):
    env, app = _environment(tmp_path)
    with _serve(env, tmp_path / "gunicorn.log") as server:
        try:
            deadline = time.monotonic() + 30
            while not _holder(app) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _holder(app), "the scheduler never took its lease"
        finally:
            workers = [pid for pid in _children(server.pid) if "scheduler" not in _command(pid)]
            server.kill()  # SIGKILL: no on_exit hook runs
            server.wait(timeout=30)
            for pid in workers:  # a web worker would notice only at its next timeout
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    deadline = time.monotonic() + 15
    while _holder(app) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _holder(app) == ""  # it saw its parent gone and gave the lease back
    with app.app_context():
        db.engine.dispose()
