"""Backups that restore (issue 26): `consent-broker backup` copies a SQLite database while a real
gunicorn serves writes to it, and the copy, restored, passes `verify-audit`; on PostgreSQL the
README's pg_dump and pg_restore commands, run as written, give a database that passes too, and
a restore over the live database from an older dump is caught as a rollback (security.md 76)."""

from __future__ import annotations

import shutil
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Postgres, Server, _pg_bin, bearer, command, prepare, stop_server, verify_audit

ROLLED_BACK = "events sealed by checkpoint {} are missing: this database was rolled back"


def _read(server: Server, people: list[dict[str, str]], times: int) -> None:
    """Advisers' reads through the API: each one appends an audit event."""
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        for person in people:
            for _ in range(times):
                answer = http.get(
                    f"/api/v1/mr-decisions/{person['decision_id']}",
                    headers=bearer(person["token"]),
                )
                assert answer.status_code == 200, answer.text


class Load:
    """Advisers reading without a pause, one thread each, until stopped: the answers' codes."""

    def __init__(self, server: Server, people: list[dict[str, str]]) -> None:
        self.statuses: list[int] = []
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._read, args=(server, person)) for person in people
        ]

    def _read(self, server: Server, person: dict[str, str]) -> None:
        path = f"/api/v1/mr-decisions/{person['decision_id']}"
        with httpx.Client(
            base_url=server.base_url, headers=bearer(person["token"]), timeout=30
        ) as http:
            while not self.stopping.is_set():
                self.statuses.append(http.get(path).status_code)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_a_backup_taken_while_gunicorn_serves_writes_restores_and_passes_verify_audit(
    serve, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    people = prepare(url, tmp_path, claimants=3)
    server = serve(url, workers=2)
    _read(server, people, 2)
    assert command(url, tmp_path, "checkpoint", "--force").returncode == 0
    backup = tmp_path / "backup.sqlite3"

    with Load(server, people) as load:
        # Eight pages a step: many steps, between which the advisers' reads write.
        taken = command(url, tmp_path, "backup", str(backup), "--pages", "8")
        served_while_copying = len(load.statuses)

    assert taken.returncode == 0, taken.stderr
    assert "SQLite's integrity check: ok" in taken.stdout
    assert "The broker wrote meanwhile: the copy began again" in taken.stdout
    assert served_while_copying and set(load.statuses) == {200}  # no writer refused or starved
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    restored = tmp_path / "restored.sqlite3"
    shutil.copyfile(backup, restored)
    restored_url = f"sqlite:///{restored}"
    fresh = serve(restored_url, workers=1)  # a fresh broker on the restored copy serves
    _read(fresh, people, 1)
    stop_server(fresh)
    result = verify_audit(restored_url, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "This database holds checkpoint 1 as the copy at" in result.stdout
    assert "Every audit chain is intact." in result.stdout


def test_backup_refuses_an_existing_file_unless_forced(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    prepare(url, tmp_path)
    existing = tmp_path / "existing.sqlite3"
    existing.write_text("an older backup")

    refused = command(url, tmp_path, "backup", str(existing))
    live = command(url, tmp_path, "backup", str(tmp_path / "broker.sqlite3"), "--force")

    assert refused.returncode == 1
    assert "exists: choose another name, or --force to replace it" in refused.stderr
    assert existing.read_text() == "an older backup"
    assert live.returncode == 1
    assert "is the live database itself" in live.stderr

    forced = command(url, tmp_path, "backup", str(existing), "--force")

    assert forced.returncode == 0, forced.stderr
    assert "It holds 1 claimant(s)" in forced.stdout
    assert existing.read_bytes().startswith(b"SQLite format 3\x00")
    assert [p.name for p in tmp_path.glob(".*partial")] == []


@pytest.fixture
def pg_tools() -> Iterator[Path]:
    yield _pg_bin()


def _libpq(url: str) -> str:
    """The URL as pg_dump and pg_restore take it (the broker's names its driver)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _run(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_pg_dump_and_pg_restore_as_the_readme_gives_them_restore_and_show_a_rollback(
    resilience_pg: Postgres, pg_tools: Path, serve, tmp_path: Path
) -> None:
    url = resilience_pg.fresh_database("backup_source")
    people = prepare(url, tmp_path, claimants=2)
    server = serve(url, workers=2)
    _read(server, people, 3)
    assert command(url, tmp_path, "checkpoint", "--force").returncode == 0

    told = command(url, tmp_path, "backup", str(tmp_path / "broker.sqlite3"))
    assert told.returncode == 1
    assert 'pg_dump -Fc --file=FILE "$DATABASE_URL"' in told.stderr
    assert "127.0.0.1" not in told.stderr + told.stdout  # no URL (it may hold a password)

    dump = tmp_path / "broker.dump"
    _run(str(pg_tools / "pg_dump"), "-Fc", f"--file={dump}", _libpq(url))  # while it serves
    other = resilience_pg.fresh_database("backup_restored")
    restore = (str(pg_tools / "pg_restore"), "--clean", "--if-exists", "--no-owner")
    _run(*restore, f"--dbname={_libpq(other)}", str(dump))

    healthy = verify_audit(other, tmp_path)

    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "This database holds checkpoint 1 as the copy at" in healthy.stdout

    # The broker carries on and seals more; then the older dump is restored over it.
    _read(server, people, 2)
    assert command(url, tmp_path, "checkpoint", "--force").returncode == 0
    stop_server(server)
    _run(*restore, f"--dbname={_libpq(url)}", str(dump))

    rolled_back = verify_audit(url, tmp_path)

    assert rolled_back.returncode == 1
    assert ROLLED_BACK.format(2) in rolled_back.stdout
