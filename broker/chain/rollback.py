"""Rollback that shows: the newest signed checkpoint, kept outside the database, compared with it.

A database restored from a backup is consistent with itself: its chains, its checkpoints and its
kept tree all agree, so nothing in it can say that it went back in time. A copy of a later
checkpoint kept elsewhere can (security.md 76). If the database lacks the copy's checkpoint, the
events that checkpoint sealed are gone: the database was rolled back. If it holds a checkpoint
of that number with another signature, its history was rewritten after the copy was taken (a
restored broker that carried on signs the same numbers over different events). One copy of the
newest is enough: every checkpoint names the hash of the one before, and verify-audit checks
that chain (checkpoints.verify_checkpoints), so holding checkpoint N unchanged pins 1 to N-1.

Two keepers:
- The broker: every checkpoint it signs is also written to BROKER_CHECKPOINT_COPY (sweep.py's
  sign_checkpoint, after the commit, so a copy never names a checkpoint that was not kept).
  Unset, `latest-checkpoint.json` in BROKER_KEY_DIR: restoring the database (copying a SQLite
  file back, pg_restore) never touches that folder; every deployment has one and must keep it
  anyway (the statement key lives only there); production writes nothing in instance/ (the
  code's folder, possibly read-only), and with PostgreSQL nothing of the database is there. It
  is written 0600 like every file in that folder (security.md 69), though what it holds is
  public. A copy on the same disk as the database is lost with it, and whoever restores the key
  folder from the same backup restores the copy too: that is what the witnesses are for.
- A witness: an advice agency (anyone) that saved /api/v1/audit/checkpoints. `verify-audit
  --checkpoint FILE_OR_URL` checks the database against that copy, after checking its signature
  with the broker's published keys: until then the file proves nothing.

The broker's copy only moves forward: it is replaced only while the database holds the checkpoint
it names, unchanged, and only by a later one. A broker restored from a backup, signing again from
the backup's numbers, therefore never overwrites the evidence of what it lost; once the operator
accepts the loss, they move the copy aside (README, "Backing up and restoring") and the next
checkpoint starts a new one.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..extensions import db
from ..models import AuditCheckpoint
from . import signed
from .checkpoints import as_json
from .keys import write_secret

log = logging.getLogger(__name__)

COPY_FILE = "latest-checkpoint.json"


class CopyRefused(ValueError):
    """A checkpoint copy that cannot be read, or is not one this broker signed."""


@dataclass(frozen=True)
class Kept:
    """A checkpoint as a copy outside the database holds it."""

    seq: int
    jws: str


def parse(text: str) -> list[str]:
    """The checkpoint JWSs in a copy: a compact JWS, one entry of /api/v1/audit/checkpoints
    (what the broker writes), that endpoint's whole answer, or a list of its entries."""
    text = text.strip()
    if not text.startswith(("{", "[")):
        return [text]
    try:
        document = json.loads(text)
    except ValueError:
        raise CopyRefused("it is not JSON and not a signed checkpoint") from None
    if isinstance(document, dict):
        document = document.get("checkpoints", [document])
    if not isinstance(document, list) or not document:
        raise CopyRefused("it holds no checkpoint")
    jwss = [entry.get("jws") if isinstance(entry, dict) else None for entry in document]
    if not all(isinstance(jws, str) for jws in jwss):
        raise CopyRefused("an entry has no `jws` (a signed checkpoint)")
    return jwss  # type: ignore[return-value]


def verified(jwss: Iterable[str], key_set: dict[str, Any], issuer: str) -> list[Kept]:
    """Each checkpoint, once its signature is checked with the broker's keys and its `iss` is
    this broker; CopyRefused naming the first that is not."""
    kept = []
    for jws in jwss:
        try:
            payload = signed.verify(jws, signed.CHECKPOINT, key_set)
        except signed.BadSignature as exc:
            # A key rotated after the database's backup is unknown to the restored database,
            # which keeps the keys: refused all the same, so a rollback still cannot pass.
            known = {key.get("kid") for key in key_set.get("keys", [])}
            unknown = _unverified(jws, header=True).get("kid") not in known
            hint = (
                " (a forgery, or signed by a key made after this database's backup: then this "
                "database was rolled back)"
                if unknown
                else ""
            )
            raise CopyRefused(f"a checkpoint in it is not the broker's: {exc}{hint}") from None
        seq = payload.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise CopyRefused("a checkpoint in it has no number")
        if payload.get("iss") != issuer:
            raise CopyRefused(
                f"checkpoint {seq} in it was signed for {payload.get('iss')!r}, not {issuer!r}"
            )
        kept.append(Kept(seq, jws))
    return kept


def findings(kept: Iterable[Kept]) -> list[str]:
    """What the database says about each kept checkpoint: the newest it lacks (rolled back),
    and each it holds with another signature (rewritten). Empty: it holds every one as kept."""
    missing, rewritten = [], []
    for copy in kept:
        row = db.session.get(AuditCheckpoint, copy.seq)
        if row is None:
            missing.append(copy.seq)
        elif row.jws != copy.jws:
            rewritten.append(copy.seq)
    problems = [f"checkpoint {seq} differs: the audit history was rewritten" for seq in rewritten]
    if missing:
        problems.insert(
            0,
            f"events sealed by checkpoint {max(missing)} are missing: "
            "this database was rolled back",
        )
    return problems


def read(path: Path) -> list[str] | None:
    """The JWSs in the copy at `path`, or None when there is none; CopyRefused if unreadable."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CopyRefused(f"it cannot be read: {exc}") from None
    return parse(text)


def keep(path: Path, row: AuditCheckpoint | None) -> bool:
    """Write `row` to the copy at `path` unless that copy names a checkpoint this database lacks
    or holds otherwise (the evidence of a rollback is never overwritten), or a later one. True
    when it wrote."""
    if row is None:
        return False
    try:
        existing = read(path)
    except CopyRefused as exc:
        log.error("checkpoint copy %s kept as it is: %s", path, exc)
        return False
    if existing:
        newest = max(existing, key=_unverified_seq)
        seq = _unverified_seq(newest)
        held = db.session.get(AuditCheckpoint, seq) if seq else None
        if held is None or held.jws != newest:
            log.error(
                "checkpoint copy %s names checkpoint %s, which this database lacks or holds "
                "otherwise (restored from a backup?): kept as it is; run verify-audit",
                path,
                seq,
            )
            return False
        if seq >= row.seq:
            return False
    write_secret(path, json.dumps(as_json(row), indent=1).encode() + b"\n")
    return True


def _unverified_seq(jws: str) -> int:
    """The number a JWS claims, unchecked (only to find the database's row to compare with)."""
    seq = _unverified(jws).get("seq")
    return seq if isinstance(seq, int) else 0


def _unverified(jws: str, *, header: bool = False) -> dict[str, Any]:
    """A JWS's payload (or header) as it claims, unchecked; {} if it has none."""
    try:
        part = jws.split(".")[0 if header else 1]
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, TypeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}
