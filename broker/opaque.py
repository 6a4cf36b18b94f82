"""Opaque secrets: refresh tokens, device and contact codes, staff API keys. Made at random,
stored only as their SHA-256 hash (they carry enough entropy that a hash is enough; passwords
are a different matter: Argon2, broker/people/accounts.py)."""

from __future__ import annotations

import hashlib
import secrets


def hash_secret(value: str) -> str:
    """SHA-256 hex of a high-entropy secret (refresh token, code); never for passwords."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)
