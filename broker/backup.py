"""`consent-broker backup FILE`: a consistent copy of a live SQLite database, taken while the
broker serves (issue 26), with SQLite's online backup API (`sqlite3.Connection.backup`).

The copy is made `pages` at a step with `pause` seconds between steps, into a temporary file
beside FILE made 0600 (it holds every claimant's consent, like the database: security.md 33),
turned into one self-contained file (journal mode DELETE, no -wal beside it), checked with
`PRAGMA integrity_check`, and only then moved to FILE: FILE is never a half copy, and an
existing FILE is replaced only when asked (`force`).

Each step reads under a read transaction of its own; in WAL mode the broker's writers go on
meanwhile, and the pause lets them and the WAL's checkpoints in between steps. When another
connection writes between two steps, SQLite starts the copy again from the first page (it must, to
stay consistent). Under steady writes a paged copy of a large database might then never end, so
after RESTARTS restarts the rest is copied in one step, under one read transaction, which WAL
writers do not wait for either.

PostgreSQL has its own tools for this (pg_dump -Fc, pg_restore: README, "Backing up and
restoring").
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

PAGES = 1024  # pages per step: 4 MiB at SQLite's default page size
PAUSE = 0.05  # seconds between steps
RESTARTS = 3  # restarts of a paged copy before the rest is copied in one step
COUNTED = ("claimants", "audit_events", "audit_checkpoints")  # what the summary names


class BackupRefused(RuntimeError):
    """A backup that was not made; the message says why."""


@dataclass(frozen=True)
class Copied:
    """What a backup holds: its size, how often writers made it start again, and the rows
    the summary names (claimants, audit events, checkpoints, the newest checkpoint)."""

    path: Path
    pages: int
    page_size: int
    restarts: int
    counts: dict[str, int]
    newest_checkpoint: int | None

    @property
    def size(self) -> int:
        return self.pages * self.page_size


class _Restarted(Exception):
    pass


def copy(
    source: Path,
    target: Path,
    *,
    force: bool = False,
    pages: int = PAGES,
    pause: float = PAUSE,
    busy_timeout: float = 15.0,
) -> Copied:
    """Copy the SQLite database at `source` to `target` consistently, while others write to it;
    BackupRefused if `target` exists (unless `force`), is the database itself, or the copy does
    not pass SQLite's integrity check (then nothing is left at `target`)."""
    if not source.is_file():
        raise BackupRefused(f"there is no database at {source}")
    target = target.absolute()
    live = source.resolve()
    if target.resolve() in (live, Path(f"{live}-wal"), Path(f"{live}-shm")):
        raise BackupRefused(f"{target} is the live database itself")
    if target.exists() and not force:
        raise BackupRefused(f"{target} exists: choose another name, or --force to replace it")
    if not target.parent.is_dir():
        raise BackupRefused(f"there is no folder {target.parent}")
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        copied = _copy_into(source, partial, pages=pages, pause=pause, timeout=busy_timeout)
        if target.exists() and not force:
            raise BackupRefused(f"{target} appeared while copying: nothing replaced")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Copied(target, *copied)


def _copy_into(
    source: Path, partial: Path, *, pages: int, pause: float, timeout: float
) -> tuple[int, int, int, dict[str, int], int | None]:
    restarts = 0
    with closing(sqlite3.connect(source, timeout=timeout)) as live:
        with closing(sqlite3.connect(partial)) as copy_:
            copied = -1

            def progress(_status: int, remaining: int, total: int) -> None:
                nonlocal copied, restarts
                now = total - remaining
                # A step that ends no further on than the last began again from the first page:
                # another connection wrote in between.
                if remaining and now <= copied:
                    restarts += 1
                    if restarts >= RESTARTS:
                        raise _Restarted
                copied = now
                if remaining:
                    # Python's own `sleep` waits only when a step finds the database locked.
                    time.sleep(pause)

            try:
                live.backup(copy_, pages=pages, progress=progress)
            except _Restarted:
                live.backup(copy_, pages=-1)  # the rest at once, under one read transaction
            copy_.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            problems = [row[0] for row in copy_.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupRefused(f"the copy failed SQLite's integrity check: {problems[:5]}")
            page_count = copy_.execute("PRAGMA page_count").fetchone()[0]
            page_size = copy_.execute("PRAGMA page_size").fetchone()[0]
            counts, newest = _summary(copy_)
    with partial.open("rb") as written:
        os.fsync(written.fileno())  # on disk before it takes FILE's name
    return page_count, page_size, restarts, counts, newest


def _summary(connection: sqlite3.Connection) -> tuple[dict[str, int], int | None]:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    counts = {
        name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # noqa: S608 - names from COUNTED
        for name in COUNTED
        if name in tables
    }
    newest = None
    if "audit_checkpoints" in tables:
        newest = connection.execute("SELECT max(seq) FROM audit_checkpoints").fetchone()[0]
    return counts, newest
