"""Credentials for DWP staff systems that read consent through /api/v1/staff.

A staff system is a machine, not a person with a browser, so a staff session cookie is never
accepted there. Each system holds its own API key, sent as `Authorization: Bearer <key>`
(RFC 6750 2.1). The key is 256 random bits with a recognisable prefix (so leaked keys are easy to
find in logs and repositories); only its SHA-256 is stored, it is shown once when created, and it
can be revoked at any time. An adviser's access token is not a key, so it is refused.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from ..extensions import db
from ..models import StaffApiKey
from ..opaque import hash_secret

PREFIX = "dwpstaff_"


def create(name: str, *, now: datetime) -> tuple[StaffApiKey, str]:
    """A new key for the named system: (row, the key itself, to be shown once). No commit."""
    name = name.strip()
    if not name:
        raise ValueError("name the system that will hold this key")
    key = PREFIX + secrets.token_urlsafe(32)
    row = StaffApiKey(name=name, key_hash=hash_secret(key), created_at=now)
    db.session.add(row)
    db.session.flush()
    return row, key


def authenticate(presented: str) -> StaffApiKey | None:
    """The live key row for a presented key, or None. Only the hash is compared."""
    if not presented.startswith(PREFIX) or len(presented) > 200:
        return None
    row = db.session.scalar(
        db.select(StaffApiKey).where(StaffApiKey.key_hash == hash_secret(presented))
    )
    if row is None or row.revoked_at is not None:
        return None
    return row


def revoke(key_id: str, *, now: datetime) -> bool:
    """Stop a key working; False if there is no such key. No commit."""
    row = db.session.get(StaffApiKey, key_id)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = now
    return True


def all_keys() -> list[StaffApiKey]:
    return list(db.session.scalars(db.select(StaffApiKey).order_by(StaffApiKey.created_at)))
