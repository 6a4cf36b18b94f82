"""Resilience tests run the broker as production does: gunicorn with several workers on 127.0.0.1,
on a database of their own. PostgreSQL tests start their own cluster with .ci/postgres (so they run
in the SQLite pass of CI too, and stopping it never disturbs the suite's database)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tests import log_check

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ISSUER = "http://broker.resilience"


def _as_owner(*cmd: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0 else list(cmd)


class Postgres:
    """A throwaway PostgreSQL cluster of this test run's own, that a test may stop and start
    again without disturbing the suite's database or another engineer's run."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.env = {**os.environ, "PG_DIR": str(directory), "PG_PORT": str(port), "PG_FAST": "1"}

    def start(self) -> None:
        subprocess.run(
            [str(ROOT / ".ci" / "postgres"), "postgres"],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        pg_ctl = str(_pg_bin() / "pg_ctl")
        subprocess.run(
            _as_owner(pg_ctl, "-D", str(self.directory), "-m", "fast", "-w", "stop"),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def fresh_database(self, name: str) -> str:
        out = subprocess.run(
            [str(ROOT / ".ci" / "postgres"), name],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout.strip().splitlines()[-1]


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    return found[-1]


@pytest.fixture(scope="session")
def resilience_pg() -> Iterator[Postgres]:
    """One cluster per test process: each pytest-xdist worker starts its own, in its own folder
    on a port of its own, so a test that stops it never disturbs another worker."""
    _pg_bin()
    directory = Path(tempfile.mkdtemp(prefix="consent-broker-pg-resilience-"))
    for attempt in range(PORT_TRIES):
        cluster = Postgres(directory, free_port())
        try:
            cluster.start()
            break
        except subprocess.CalledProcessError:
            if attempt == PORT_TRIES - 1:
                raise
    yield cluster
    with contextlib.suppress(subprocess.SubprocessError):
        cluster.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def pass_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """This pass's kind of database: PostgreSQL when DATABASE_URL is one, else SQLite."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        cluster: Postgres = request.getfixturevalue("resilience_pg")
        return cluster.fresh_database("resilience_pass")
    return f"sqlite:///{tmp_path / 'broker.sqlite3'}"


def prepare(
    url: str, tmp_path: Path, *, claimants: int = 1, scopes: str = "mr:read mr:request"
) -> list[dict[str, str]]:
    """Migrate a fresh database and seed claimants with grants and tokens (in a subprocess)."""
    keys = str(tmp_path / "keys")
    out = subprocess.run(
        [sys.executable, "-m", "tests.resilience.setup_data", url, keys, str(claimants), scopes],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


# A free port is free only until something else binds it: another worker or another run on this
# machine may take it between our asking and our server binding it, so a start is tried again.
PORT_TRIES = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    access_log: Path
    error_log: Path  # gunicorn's standard error: its lines and the app's (broker/logs.py)

    def workers(self) -> list[int]:
        pid = self.process.pid
        try:
            return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def answering_pids(self) -> list[int]:
        """The worker pid of each request in the access log, in order."""
        if not self.access_log.exists():
            return []
        lines = self.access_log.read_text().splitlines()
        return [int(line.split()[0].strip("<>")) for line in lines if line]


def start_server(
    url: str, tmp_path: Path, *, workers: int, app: str = "tests.resilience.wsgi:app", **env: str
) -> Server:
    """gunicorn on a free port, with gunicorn.conf.py's settings (it reads that file from the top
    of the repo, its working directory) but for the port, the worker count and an access log."""
    for attempt in range(PORT_TRIES):
        try:
            return _start_server(url, tmp_path, workers=workers, app=app, **env)
        except PortTaken:
            if attempt == PORT_TRIES - 1:
                raise
    raise AssertionError("unreachable")


class PortTaken(RuntimeError):
    pass


def _start_server(url: str, tmp_path: Path, *, workers: int, app: str, **env: str) -> Server:
    port = free_port()
    access_log = tmp_path / f"access-{port}.log"
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "BROKER_KEY_DIR": str(tmp_path / "keys"),
        "BROKER_ISSUER": ISSUER,
        "SECRET_KEY": "resilience",
        "PYTHONPATH": str(ROOT),
        # These tests measure the web side alone; the scheduled work is tested in tests/scheduler.
        "BROKER_SCHEDULER": "0",
        **env,
    }
    errors = tmp_path / f"gunicorn-{port}.log"
    # gunicorn keeps its own copy of the descriptor: ours is closed once it has started.
    with errors.open("wb") as error_log:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "3",
                "--access-logfile",
                str(access_log),
                "--access-logformat",
                "%(p)s %(s)s %(m)s %(U)s",
                "--log-level",
                "warning",
                app,
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=error_log,
        )
    server = Server(process, f"http://127.0.0.1:{port}", access_log, errors)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(server.base_url + "/sign-in", timeout=2)
            if len(server.workers()) >= workers:
                return server
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            if "Connection in use" in errors.read_text(errors="replace"):
                raise PortTaken(f"port {port} was taken before gunicorn bound it")
            raise RuntimeError(f"gunicorn did not start: see {tmp_path}")
        time.sleep(0.2)


def stop_server(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    # Its lines are checked with the run's own for secrets and names (tests/log_check.py).
    log_check.keep(server.error_log, f"{server.error_log.stem}-{server.process.pid}")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:  # noqa: ANN201
    """serve(url, workers=N, app=..., **env) starts gunicorn; each is stopped after the test."""
    started: list[Server] = []

    def start(
        url: str, *, workers: int = 2, app: str = "tests.resilience.wsgi:app", **env: str
    ) -> Server:
        server = start_server(url, tmp_path, workers=workers, app=app, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_server(server)


def verify_audit(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `verify-audit` command against this database."""
    return command(url, tmp_path, "verify-audit", *args)


def command(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A real `consent-broker` command against this database, with the servers' keys."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BROKER_KEY_DIR": str(tmp_path / "keys"),
        "BROKER_ISSUER": ISSUER,
        "SECRET_KEY": "resilience",
    }
    return subprocess.run(
        [str(BIN / "flask"), "--app", "broker", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class Ledger:
    """What the database holds, per token: allowed events by action, and MR request subjects."""

    events: dict[tuple[str, str, str], int]
    requests: dict[str, set[str]]

    def allowed(self, jti: str, action: str) -> int:
        return self.events.get((jti, action, "allowed"), 0)


def ledger(url: str) -> Ledger:
    engine: Engine = create_engine(url)
    try:
        with engine.connect() as conn:
            events = {
                (t, a, o): n
                for t, a, o, n in conn.execute(
                    text(
                        "SELECT token_id, action, outcome, count(*) FROM audit_events"
                        " GROUP BY token_id, action, outcome"
                    )
                )
            }
            requests: dict[str, set[str]] = {}
            written = text(
                "SELECT token_id, subject FROM journal_entries WHERE kind = 'mr_request'"
            )
            for token_id, subject in conn.execute(written):
                requests.setdefault(token_id, set()).add(subject)
    finally:
        engine.dispose()
    return Ledger(events, requests)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
