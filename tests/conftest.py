"""Fixtures: a real database (DATABASE_URL, or a temporary SQLite file) built by the migrations
once per session and emptied between tests; real signing keys; a live server at
http://localhost:PORT, the host name the README's demo uses (cookies and passkeys follow it)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import BaseWSGIServer, make_server

from broker import clock, create_app, services
from broker.extensions import db
from tests import log_check
from tests.watch.receiver import Receiver, serve

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Tests make and sign in hundreds of accounts: Argon2 at its production cost (64 MiB, three
# passes) is a large share of the suite's time. Only the cost changes (configuration read by
# create_app), never the code path; every app a test builds takes these settings. Argon2 needs
# 8 KiB per lane, hence one lane.
FAST_PASSWORD_HASHING = {
    "BROKER_ARGON2_TIME_COST": 1,
    "BROKER_ARGON2_MEMORY_KIB": 8,
    "BROKER_ARGON2_PARALLELISM": 1,
}


LOG_RUN_DIR = "broker_log_run_dir"
LOGS_CHECKED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    """Every test process writes all its log records to a file in one folder for the run
    (tests/log_check.py); the controller makes the folder and checks it at the end."""
    worker = getattr(config, "workerinput", None)
    if worker is None:
        log_check.start(Path(tempfile.mkdtemp(prefix="consent-broker-logs-")), "main")
    else:
        log_check.start(Path(worker[LOG_RUN_DIR]), worker["workerid"])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # noqa: ANN001 - pytest-xdist's WorkerController
    node.workerinput[LOG_RUN_DIR] = str(log_check.run_dir)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """After the last fixture's teardown (and, on the controller, after every worker ended):
    a secret or a name in any process's log lines fails the run, naming the file and line."""
    capturing = log_check.still_capturing()
    log_check.stop()
    if hasattr(session.config, "workerinput") or log_check.run_dir is None:
        return
    session.config.stash[LOGS_CHECKED] = True
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    findings = log_check.scan(log_check.run_dir.iterdir())
    if not capturing:
        findings.insert(0, "the run's log capture was taken off the root logger during the run")
    if not findings:
        shutil.rmtree(log_check.run_dir, ignore_errors=True)
        return
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("=", "secrets or names in the logs (security.md 74)", red=True)
        for finding in findings[:200]:
            reporter.write_line(str(finding))
        reporter.write_line(f"{len(findings)} found; the logs are kept in {log_check.run_dir}")


def pytest_unconfigure(config: pytest.Config) -> None:
    """A run that never started a session (`pytest --help`) leaves no folder behind."""
    log_check.stop()
    if not hasattr(config, "workerinput") and not config.stash.get(LOGS_CHECKED, False):
        if log_check.run_dir is not None:
            shutil.rmtree(log_check.run_dir, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    outcome = yield
    report = outcome.get_result()
    # In CI a skipped browser or PostgreSQL test is a failure: nothing may be quietly left out.
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """This test process's own database: each pytest-xdist worker empties and rebuilds its own,
    so workers never see each other's rows. SQLite: a file in the worker's own temporary folder;
    PostgreSQL: `<DATABASE_URL's name>_<worker>` beside it, made if missing."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    if worker_id == "master" or not url.startswith("postgres"):
        return url
    return _worker_database(_normalise(url), worker_id)


def _worker_database(url: str, worker_id: str) -> str:
    from sqlalchemy import create_engine, make_url

    parsed = make_url(url)
    name = f"{parsed.database}_{worker_id}"
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if found.first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


class BufferedClient(FlaskClient):
    """Reads each answer to its end and closes it, as a WSGI server does: a static file's
    handle, and the temporary file Werkzeug spools a large upload's body into, are then closed
    at once, not left open for the garbage collector (ResourceWarning). The answer stays
    readable: its body is in memory."""

    def open(self, *args, buffered: bool = True, **kwargs):  # noqa: ANN002, ANN003, ANN201
        response = super().open(*args, buffered=buffered, **kwargs)
        if buffered:
            response.close()
            # Werkzeug ties the request body's closing to the answer only when it follows
            # redirects: a large upload's temporary file is closed here otherwise.
            response.request.input_stream.close()
        return response


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": _normalise(database_url),
            "SECRET_KEY": "test-secret-key",
            "BROKER_KEY_DIR": str(instance / "keys"),
            "BROKER_ISSUER": "http://broker.test",
            # Commits need not reach the disk through a power cut in tests (the default, FULL,
            # is tested in tests/resilience/test_sqlite_durability.py); it keeps the suite fast.
            "BROKER_SQLITE_SYNC": "normal",
            **FAST_PASSWORD_HASHING,
        }
    )
    application.test_client_class = BufferedClient
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")  # helpers branch migrations; a merge revision joins them
    yield application
    with application.app_context():
        db.engine.dispose()


def _normalise(url: str) -> str:
    from broker.config import normalise_database_url

    return normalise_database_url(url)


TABLES_CHILD_FIRST = (
    "receipts",
    "outbox",
    "pinned_notes",
    "attempts",
    "sessions",
    "audit_events",
    "audit_heads",
    "audit_checkpoints",
    "checkpoint_leaves",
    "journal_entries",
    "mr_decisions",
    "todos",
    "payments",
    "authorization_codes",
    "device_authorizations",
    "access_tokens",
    "refresh_tokens",
    "grants",
    "oauth_clients",
    "claimants",
    "advisers",
    "staff_members",
    "accounts",
    "organisations",
)


@pytest.fixture(autouse=True)
def _empty_database(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        # The signing keys stay, as their files did before they moved into the database: the
        # session's apps hold them in their key rings (broker/chain/keyring.py).
        names = [t for t in _existing_tables() if t not in ("alembic_version", "signing_keys")]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
            else:
                ordered = [t for t in TABLES_CHILD_FIRST if t in names]
                ordered += [t for t in names if t not in ordered]
                conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
                for name in ordered:
                    conn.exec_driver_sql(f"DELETE FROM {name}")  # noqa: S608
    # The newest checkpoint's copy outside the database (security.md 76) goes with its rows:
    # the next test's checkpoint 1 would otherwise read as a rollback.
    copy = services.of(application).checkpoint_copy
    if copy is not None:
        copy.unlink(missing_ok=True)


def _existing_tables() -> list[str]:
    from sqlalchemy import inspect

    return inspect(db.engine).get_table_names()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context for setting up data with the factories."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


class FrozenClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """Inject the clock: time moves only when the test says so."""
    source = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    clock.set_clock(source)
    yield source
    clock.set_clock(None)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    """A case system's HTTPS endpoint for pushed Security Event Tokens (tests/watch/receiver.py)."""
    state, server = serve(tmp_path)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free loopback port, threaded like production."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = "pw-for-tests") -> None:  # noqa: S107
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def keys_dir(app: Flask) -> Path:
    return Path(app.config["BROKER_KEY_DIR"])
