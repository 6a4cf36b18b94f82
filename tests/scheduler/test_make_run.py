"""`make run` runs the scheduled work with nothing else started (issue 26): gunicorn, started as
the Makefile starts it (its command, gunicorn.conf.py), starts `consent-broker scheduler` beside
itself; with short intervals a checkpoint is sealed and a queued message sent within seconds,
and stopping gunicorn stops the scheduler, which gives its lease back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from flask_migrate import upgrade

from broker import clock, create_app, scheduler
from broker.extensions import db
from broker.messages import notify
from broker.models import AuditCheckpoint, JobLock, JobRun
from tests.conftest import FAST_PASSWORD_HASHING
from tests.factories import make_claimant

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_served_broker_seals_a_checkpoint_and_sends_the_outbox_by_itself(tmp_path: Path):
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

    with subprocess.Popen(
        [str(GUNICORN), "broker:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as server:
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
