"""The signing keys every worker on every host shares, and their rotation without a restart
(issue 26; security.md 34, 75).

Where the keys live: in the database, table `signing_keys` (one row per key: kid, public JWK,
the private half sealed with AES-GCM under BROKER_KEY_ENCRYPTION_KEY, `published_at`,
`signs_from`, `retired_at`). The database is the one store every host already shares and writes
transactionally; a key directory shared across hosts would need a shared filesystem, and a
rotation written there would reach each worker only when it restarted. The private halves are
sealed so that a database dump or backup does not hand out the key that signs every token
(keys.seal; the key-encryption key never enters the database).

How workers agree without talking to each other: each keeps its own ring in memory, refreshed
from the table at most every BROKER_KEY_REFRESH_SECONDS (30), lazily on use (never while the app
is built: `flask db upgrade` builds it before the table exists). The current key is the newest
whose `signs_from` has come (`current`): the activation instant is in the row, so every worker
that has read the row switches at the same instant, by its own clock, with no message and no
restart.

A rotation (`publish`, `consent-broker rotate-signing-key`, or the scheduler every
BROKER_KEY_ROTATE_DAYS) adds the next key with `signs_from` BROKER_KEY_WAIT_SECONDS (600) ahead:
it is in the JWKS at once, so a client that caches the JWKS for less than the wait has the new
kid before the first token signed with it, and every worker has read it well before it signs
(the wait is much longer than the refresh). `--now` (a compromised key) signs at once: clients
holding a cached JWKS meet an unknown kid until they fetch it again. The key it replaces gets
`retired_at` = the new key's `signs_from`, and stays in the JWKS until every access token it
can have signed has expired (`published`: the token lifetime, plus a refresh period for a
worker that had not yet read a `--now` key, plus a minute of clock skew). Its private half is
erased at the next rotation; its public JWK stays for ever, so checkpoints, receipts and
statements it signed verify always (`every_key`, /api/v1/audit/keys).

On first use, with the table empty, the ring imports `signing-key.pem` and `retired-keys.json`
from BROKER_KEY_DIR (same kids: whatever they signed keeps verifying); with neither it makes a
key outside production, and production refuses with the command to run.

Plain SQL on a DBAPI connection of the ring's own, not the request's session: a key made or read
here is committed or read on its own, whatever the request's unit later keeps or discards, and
on SQLite a read never waits on the request's own write lock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from .. import clock
from ..driver import pg
from .keys import (
    KeyStoreError,
    SigningKey,
    load_retired_keys,
    new_signing_key,
    read_legacy_key,
    seal,
    unseal,
)

log = logging.getLogger(__name__)

DEFAULT_REFRESH = timedelta(seconds=30)  # BROKER_KEY_REFRESH_SECONDS
LOCK_ID = 7_260_026  # PostgreSQL advisory lock: one rotation or first key at a time
FIRST_KEY_COMMAND = "consent-broker rotate-signing-key"
# The first key (made, or imported from signing-key.pem) has no predecessor to wait for: it
# signs from the epoch, so that a moment before it was stored (a test's clock) still has a key.
FIRST_SIGNS_FROM = clock.EPOCH


def wait(config: Mapping[str, Any]) -> timedelta:
    """How long a published key waits before it signs: BROKER_KEY_WAIT_SECONDS (600)."""
    return timedelta(seconds=float(config.get("BROKER_KEY_WAIT_SECONDS", 600)))


def rotate_every(config: Mapping[str, Any]) -> timedelta | None:
    """The scheduled rotation's period, BROKER_KEY_ROTATE_DAYS; None when unset or 0."""
    days = float(config.get("BROKER_KEY_ROTATE_DAYS") or 0)
    return timedelta(days=days) if days > 0 else None


@dataclass(frozen=True)
class StoredKey:
    kid: str
    public_jwk: dict[str, str]
    key: SigningKey | None  # the private half; None once erased, or for an imported retired key
    published_at: datetime
    signs_from: datetime
    retired_at: datetime | None


class PendingKey(KeyStoreError):
    """A rotation while the last one's key is still waiting to sign."""


class KeyRing:
    """One process's view of the shared signing keys (see the module's docstring)."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        *,
        kek: bytes,
        key_dir: Path,
        create: bool,
        refresh: timedelta = DEFAULT_REFRESH,
    ) -> None:
        self._engine = engine
        self._kek = kek
        self._key_dir = key_dir
        self._create = create
        self.refresh = refresh
        self._rows: list[StoredKey] | None = None
        self._read_at = 0.0  # time.monotonic() of the last read
        self._quiet_until = 0.0  # prepare() tries again after this (time.monotonic())
        self._lock = threading.Lock()

    # Reading ---------------------------------------------------------------------------------

    def keys(self) -> list[StoredKey]:
        """Every stored key, newest first, read again once older than the refresh period."""
        rows = self._rows
        if rows is None or time.monotonic() - self._read_at >= self.refresh.total_seconds():
            with self._lock:
                try:
                    rows = self._load()
                except KeyStoreError:
                    raise
                except Exception:
                    if rows is None:
                        raise
                    # The database is away for a moment: the keys read last time stay good
                    # (a rotation waits far longer than this); try again after a refresh.
                    log.warning("signing keys: could not read them again; using the last read")
                    self._read_at = time.monotonic()
        return rows

    def prepare(self) -> None:
        """Read the keys (making or importing the first) if this process has not yet: called as
        an app context begins, before its unit opens a transaction. Quiet when it cannot (the
        table is not there yet, during `flask db upgrade`): use will say why."""
        if self._rows is not None or time.monotonic() < self._quiet_until:
            return
        try:
            self.keys()
        except Exception:  # noqa: BLE001 - reported by the use that needs the keys
            log.debug("signing keys not read yet", exc_info=True)
            if not self._table_missing():
                # A database that is away (or keys that do not open): not tried again for a
                # refresh period, so that /healthz stays quick while it is so.
                self._quiet_until = time.monotonic() + self.refresh.total_seconds()

    def _table_missing(self) -> bool:
        try:
            return not inspect(self._engine()).has_table("signing_keys")
        except Exception:  # noqa: BLE001 - the database does not answer
            return False

    def forget(self) -> None:
        """Read the table again on next use (after this process changed it)."""
        self._rows = None

    def current(self, now: datetime) -> SigningKey:
        """The key that signs at `now`: the newest whose `signs_from` has come."""
        for row in self.keys():
            if row.key is not None and row.signs_from <= now:
                return row.key
        raise KeyStoreError(f"no signing key signs yet: run `{FIRST_KEY_COMMAND} --now`")

    def published(self, now: datetime, *, keep: timedelta) -> list[dict[str, str]]:
        """The JWKS: the current key first, then the next one waiting to sign, then any retired
        less than `keep` ago (access tokens it signed may still be alive)."""
        current = self.current(now)
        others = [
            row.public_jwk
            for row in self.keys()
            if row.kid != current.kid and (row.retired_at is None or now < row.retired_at + keep)
        ]
        return [current.public_jwk, *others]

    def every_key(self) -> list[dict[str, str]]:
        """Every key the broker has had, newest first: documents verify under these for ever."""
        return [row.public_jwk for row in self.keys()]

    def _load(self) -> list[StoredKey]:
        rows = self._read()
        if not rows:
            self._first_key(clock.now())
            rows = self._read()
        self._rows, self._read_at = rows, time.monotonic()
        return rows

    def _read(self) -> list[StoredKey]:
        with self._connection() as (cursor, _postgres):
            cursor.execute(
                "SELECT kid, public_jwk, private_key, published_at, signs_from, retired_at"
                " FROM signing_keys"
            )
            found = cursor.fetchall()
        known = {row.kid: row for row in self._rows or []}
        rows = [self._stored(known.get(values[0]), *values) for values in found]
        rows.sort(key=lambda row: (row.signs_from, row.published_at), reverse=True)
        return rows

    def _stored(
        self,
        known: StoredKey | None,
        kid: str,
        public_jwk: str,
        sealed: bytes | None,
        published_at: Any,
        signs_from: Any,
        retired_at: Any,
    ) -> StoredKey:
        key = None
        if sealed is not None:
            # Opened once per process: a known key's private half never changes.
            key = known.key if known and known.key else unseal(self._kek, kid, bytes(sealed))
        return StoredKey(
            kid=kid,
            public_jwk=json.loads(public_jwk),
            key=key,
            published_at=clock.from_driver(published_at),
            signs_from=clock.from_driver(signs_from),
            retired_at=clock.from_driver(retired_at) if retired_at is not None else None,
        )

    # Writing ---------------------------------------------------------------------------------

    def publish(self, now: datetime, *, wait: timedelta) -> tuple[StoredKey | None, StoredKey]:
        """Add the next key, signing from `now + wait` (at once for a zero wait), and retire the
        current one at that instant. Returns (the key it replaces, the new key).

        Refused while a key published before still waits to sign (PendingKey), unless `wait` is
        zero: then that waiting key signs at once instead of a second new one.
        """
        with self._writing() as (cursor, postgres):
            rows = self._rows_for_update(cursor)
            current = None
            if not rows:  # the first key (production's first run): it signs at once
                new_kid = self._import_or_make(cursor, postgres, now, create=True)
            else:
                current, new_kid = self._next(cursor, postgres, rows, now, wait)
        self.forget()
        new = next(row for row in self.keys() if row.kid == new_kid)
        log.info(
            "signing key kid %s published; it signs from %s",  # `kid <ID>`: public (log_check)
            new.kid,
            f"{new.signs_from:%Y-%m-%d %H:%M:%S} UTC",
        )
        return current, new

    def _next(
        self, cursor: Any, postgres: bool, rows: list[StoredKey], now: datetime, wait: timedelta
    ) -> tuple[StoredKey | None, str]:
        """Publish the next key in the rotation's transaction: (the key it replaces, its kid)."""
        current = next((r for r in rows if r.key and r.signs_from <= now), None)
        pending = next((r for r in rows if r.signs_from > now), None)
        if pending is not None and wait > timedelta(0):
            raise PendingKey(
                f"key kid {pending.kid} was published at {pending.published_at:%Y-%m-%d %H:%M:%S}"
                f" UTC and signs from {pending.signs_from:%Y-%m-%d %H:%M:%S} UTC: rotate "
                "again after that, or with --now to make it sign at once"
            )
        signs_from = now + wait
        # Private halves of keys that stopped signing before this rotation are erased:
        # nothing may sign with them again, and their public halves are all a verifier needs.
        _execute(
            cursor,
            postgres,
            "UPDATE signing_keys SET private_key = NULL WHERE retired_at <= ?",
            (clock.to_driver(now, postgres=postgres),),
        )
        if current is not None:
            _execute(
                cursor,
                postgres,
                "UPDATE signing_keys SET retired_at = ? WHERE kid = ?",
                (clock.to_driver(signs_from, postgres=postgres), current.kid),
            )
        if pending is not None:  # --now while a key waits: that key signs at once
            _execute(
                cursor,
                postgres,
                "UPDATE signing_keys SET signs_from = ? WHERE kid = ?",
                (clock.to_driver(now, postgres=postgres), pending.kid),
            )
            new_kid = pending.kid
        else:
            new_kid = self._insert(cursor, postgres, new_signing_key(), now, signs_from, None)
        return current, new_kid

    def rotation_due(self, now: datetime, every: timedelta) -> bool:
        """The current key has signed for `every` and no next key is waiting (the scheduler)."""
        rows = self.keys()
        if any(row.signs_from > now for row in rows):
            return False
        current = next((r for r in rows if r.key and r.signs_from <= now), None)
        # Counted from when it began to sign, or, for the first key, from when it was made.
        return current is None or max(current.signs_from, current.published_at) + every <= now

    def _first_key(self, now: datetime) -> None:
        with self._writing() as (cursor, postgres):
            if not self._rows_for_update(cursor):  # another worker may have made it meanwhile
                self._import_or_make(cursor, postgres, now, create=self._create)

    def _import_or_make(self, cursor: Any, postgres: bool, now: datetime, *, create: bool) -> str:
        """The first key: `signing-key.pem` and `retired-keys.json` imported with their kids, or
        a new key (outside production, or asked for by the rotation command)."""
        legacy = read_legacy_key(self._key_dir)
        retired = load_retired_keys(self._key_dir)
        for jwk in retired:
            if legacy is None or jwk["kid"] != legacy.kid:
                # Retired at the import: the last of them may have signed tokens still alive.
                self._insert_public(cursor, postgres, jwk, now)
        if legacy is not None:
            self._insert(cursor, postgres, legacy, now, FIRST_SIGNS_FROM, None)
            log.info(
                "imported the signing key kid %s and %d retired key(s) from %s",
                legacy.kid,
                len(retired),
                self._key_dir,
            )
            return legacy.kid
        if not create:
            raise KeyStoreError(
                f"no signing key in the database and no {self._key_dir}/signing-key.pem to "
                f"import; production makes none by itself: run `{FIRST_KEY_COMMAND}` once"
            )
        key = new_signing_key()
        self._insert(cursor, postgres, key, now, FIRST_SIGNS_FROM, None)
        log.info("generated the first signing key, kid %s", key.kid)
        return key.kid

    def _insert(
        self,
        cursor: Any,
        postgres: bool,
        key: SigningKey,
        published_at: datetime,
        signs_from: datetime,
        retired_at: datetime | None,
    ) -> str:
        _execute(
            cursor,
            postgres,
            "INSERT INTO signing_keys"
            " (kid, public_jwk, private_key, published_at, signs_from, retired_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                key.kid,
                json.dumps(key.public_jwk),
                seal(self._kek, key),
                clock.to_driver(published_at, postgres=postgres),
                clock.to_driver(signs_from, postgres=postgres),
                clock.to_driver(retired_at, postgres=postgres) if retired_at else None,
            ),
        )
        return key.kid

    def _insert_public(
        self, cursor: Any, postgres: bool, jwk: dict[str, str], now: datetime
    ) -> None:
        moment = clock.to_driver(now, postgres=postgres)
        _execute(
            cursor,
            postgres,
            "INSERT INTO signing_keys"
            " (kid, public_jwk, private_key, published_at, signs_from, retired_at)"
            " VALUES (?, ?, NULL, ?, ?, ?)",
            (
                jwk["kid"],
                json.dumps(jwk),
                moment,
                clock.to_driver(FIRST_SIGNS_FROM, postgres=postgres),
                moment,
            ),
        )

    def _rows_for_update(self, cursor: Any) -> list[StoredKey]:
        cursor.execute(
            "SELECT kid, public_jwk, private_key, published_at, signs_from, retired_at"
            " FROM signing_keys"
        )
        rows = [self._stored(None, *values) for values in cursor.fetchall()]
        rows.sort(key=lambda row: (row.signs_from, row.published_at), reverse=True)
        return rows

    # Connections -----------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[tuple[Any, bool]]:
        """A DBAPI connection of the pool's for reading: SQLite's runs each statement on its
        own (autocommit), PostgreSQL's transaction is rolled back when it goes back."""
        engine = self._engine()
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                yield cursor, engine.dialect.name == "postgresql"
            finally:
                cursor.close()
            raw.rollback()
        finally:
            raw.close()

    @contextmanager
    def _writing(self) -> Iterator[tuple[Any, bool]]:
        """One transaction that no other rotation or first key overlaps: SQLite's write lock at
        BEGIN, PostgreSQL's advisory lock until the commit."""
        engine = self._engine()
        postgres = engine.dialect.name == "postgresql"
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                if postgres:
                    cursor.execute(pg("SELECT pg_advisory_xact_lock(?)"), (LOCK_ID,))
                else:
                    cursor.execute("BEGIN IMMEDIATE")
                yield cursor, postgres
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
            finally:
                cursor.close()
        finally:
            raw.close()


def _execute(cursor: Any, postgres: bool, statement: str, params: tuple[Any, ...]) -> None:
    cursor.execute(pg(statement) if postgres else statement, params)
