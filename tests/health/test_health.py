"""/healthz and /readyz (issue 26): health touches nothing; readiness names each check, 200 when
all pass and 503 naming those that failed; neither needs a session nor names anyone."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, text

from broker import clock, create_app
from broker.extensions import db
from broker.models import JobRun
from broker.scheduler import Scheduler
from broker.web import health
from tests.factories import make_people

CHECKS = {"database", "migrations", "signing_key", "checkpoint", "sweep"}


@pytest.fixture
def scheduled(app: Flask) -> Flask:
    """The scheduled work has just run: both jobs recorded a success now."""
    Scheduler(app, holder="tests").step()
    return app


def test_healthz_answers_without_touching_the_database(app: Flask, client):
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ARG001
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert seen == []


def test_readyz_is_200_naming_every_check_when_all_pass(scheduled, client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.json
    assert response.json["status"] == "ready"
    assert response.json["failed"] == []
    assert set(response.json["checks"]) == CHECKS
    assert all(check["ok"] for check in response.json["checks"].values())
    assert response.headers["Cache-Control"] == "no-store"


def test_neither_needs_a_session_a_csrf_token_or_names_anyone(scheduled, client):
    with scheduled.app_context():
        people = make_people()
        names = [people.claimant.name, people.claimant.reference]
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert not any(name in response.get_data(as_text=True) for name in names)
    assert client.post("/readyz").status_code == 405


def _failed(client) -> tuple[int, list[str], dict]:  # noqa: ANN001
    response = client.get("/readyz")
    return response.status_code, response.json["failed"], response.json["checks"]


def test_the_sweep_check_fails_when_the_sweep_never_ran(app: Flask, client):
    status, failed, checks = _failed(client)

    assert status == 503
    assert "sweep" in failed and "never" in checks["sweep"]["detail"]


def test_the_sweep_and_checkpoint_checks_fail_past_twice_their_interval(scheduled, client):
    start = clock.now()
    clock.set_clock(lambda: start + timedelta(seconds=2 * 60 + 5))
    try:
        status, failed, _ = _failed(client)
        assert (status, failed) == (503, ["checkpoint"])  # 2 × 60 s; the sweep has 2 × 300 s
        clock.set_clock(lambda: start + timedelta(seconds=2 * 300 + 5))
        status, failed, checks = _failed(client)
        assert (status, failed) == (503, ["checkpoint", "sweep"])
        assert checks["database"]["ok"] and checks["migrations"]["ok"]
    finally:
        clock.set_clock(None)


def test_a_recent_checkpoint_counts_even_if_the_job_has_not_run(scheduled, client):
    with scheduled.app_context():
        db.session.delete(db.session.get(JobRun, "checkpoint"))
        db.session.commit()
    status, failed, checks = _failed(client)
    assert (status, failed) == (200, [])  # the checkpoint the job signed a moment ago
    assert checks["checkpoint"]["ok"]


def test_the_migrations_check_fails_when_the_database_is_behind(scheduled, client):
    with scheduled.app_context():
        (head,) = db.session.scalars(text("SELECT version_num FROM alembic_version")).all()
        db.session.execute(text("UPDATE alembic_version SET version_num = '0022'"))
        db.session.commit()
    try:
        status, failed, checks = _failed(client)
        assert (status, failed) == (503, ["migrations"])
        assert checks["migrations"]["detail"].startswith("not at head")
    finally:
        with scheduled.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": head})
            db.session.commit()


def test_the_signing_key_check_fails_when_the_keys_do_not_open(scheduled, client, tmp_path):
    """Another BROKER_KEY_ENCRYPTION_KEY than the one the keys were sealed under (a host set up
    with the wrong one): that host is not ready, and says which setting is wrong."""
    other = create_app(
        {
            **{k: scheduled.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY")},
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "BROKER_KEY_DIR": scheduled.config["BROKER_KEY_DIR"],
            "BROKER_KEY_ENCRYPTION_KEY": base64.urlsafe_b64encode(bytes(32)).decode(),
        }
    )
    try:
        status, failed, checks = _failed(other.test_client())
    finally:
        with other.app_context():
            db.engine.dispose()

    assert (status, failed) == (503, ["signing_key"])
    assert "BROKER_KEY_ENCRYPTION_KEY does not open signing key" in checks["signing_key"]["detail"]
    assert (client.get("/readyz").status_code) == 200  # the hosts with the right one are ready


def test_the_database_check_fails_when_the_database_does_not_answer(app: Flask, tmp_path):
    away = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "test-secret-key",
            "BROKER_KEY_DIR": app.config["BROKER_KEY_DIR"],
            # A folder where the file should be: SQLite cannot open it, as a server that is down
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}",
        }
    )
    try:
        status, failed, checks = _failed(away.test_client())
    finally:
        with away.app_context():
            db.engine.dispose()

    assert status == 503
    assert failed[0] == "database"  # and the signing keys, which are in it
    assert checks["database"]["detail"] == "could not be checked (OperationalError)"
    assert health.healthz  # /healthz has no such check: the process still answers
