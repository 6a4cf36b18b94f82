"""Signed documents: checkpoints, statements, receipts and history copies, as compact JWS.

Each is JSON (sorted keys, no spaces) signed with the broker's ES256 key by PyJWT's JWS, with
`kid` (the RFC 7638 thumbprint) and a `typ` naming the kind of document. Checking one needs only
the published keys: no database, no network. Signing keys rotate (broker/chain/keyring.py): a
document keeps verifying under its key after any number of rotations, because every retired public
key is kept and published at /api/v1/audit/keys (/.well-known/jwks.json lists only the keys access
tokens may carry: the current one, the next one, and those retired while tokens may be alive).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import jwt

from ..i18n import N_
from .keys import ALGORITHM, SigningKey, write_secret

STATEMENT_KEY_FILE = "statement-key"

CHECKPOINT, STATEMENT, RECEIPT, HISTORY, DOCUMENT, DISPUTE = (
    "consent-broker-checkpoint",
    "consent-broker-statement",
    "consent-broker-receipt",
    "consent-broker-history",
    "consent-broker-document",  # issue 27: a notice anyone can check at /verify
    "consent-broker-dispute",  # issue 27: staff's outcome of a claimant's "This wasn't right"
)


class BadSignature(ValueError):
    """A document whose signature, key or kind is not right; the message says which."""


def canonical_json(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: dict[str, Any], kind: str, signing_key: SigningKey) -> str:
    """`payload` signed with the key that signs access tokens (Services.signing_key)."""
    return jwt.api_jws.encode(
        canonical_json(payload),
        signing_key.private_key,
        algorithm=ALGORITHM,
        headers={"kid": signing_key.kid, "typ": kind},
    )


def verify(token: str, kind: str, key_set: dict[str, Any]) -> dict[str, Any]:
    """The payload of a document of this kind signed by a key in `key_set`; else BadSignature."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise BadSignature(N_("it is not a signed document (JWS)")) from None
    if header.get("alg") != ALGORITHM:
        raise BadSignature(f"it is signed with {header.get('alg')!r}, not {ALGORITHM}")
    if header.get("typ") != kind:
        raise BadSignature(f"it is a {header.get('typ')!r}, not a {kind!r}")
    keys = {k.get("kid"): k for k in key_set.get("keys", [])}
    if header.get("kid") not in keys:
        raise BadSignature(N_("it was signed by a key the broker has not published"))
    public = jwt.PyJWK.from_dict(keys[header["kid"]], algorithm=ALGORITHM)
    try:
        body = jwt.api_jws.decode_complete(token, public.key, algorithms=[ALGORITHM])["payload"]
    except jwt.PyJWTError:
        raise BadSignature(N_("the signature does not match its contents")) from None
    try:
        payload = json.loads(body)
    except ValueError:
        raise BadSignature(N_("the signed contents are not JSON")) from None
    if not isinstance(payload, dict):
        raise BadSignature(N_("the signed contents are not a JSON object"))
    return payload


def unverified_payload(token: str) -> dict[str, Any]:
    """The contents of a document this broker signed and stored itself, to show it; anything
    given from outside goes through `verify`."""
    return json.loads(
        jwt.api_jws.decode_complete(token, options={"verify_signature": False})["payload"]
    )


def load_or_create_statement_key(key_dir: Path, *, create: bool) -> bytes:
    """The statement key (32 random bytes, hex in `statement-key`, mode 0600): its own secret,
    not derived from the signing key, so rotating that changes nothing here (security.md 34).
    Created on first start outside production; production refuses to start without it."""
    path = key_dir / STATEMENT_KEY_FILE
    if path.exists():
        value = bytes.fromhex(path.read_text().strip())
        if len(value) != 32:
            raise RuntimeError(f"{path} must hold 32 bytes in hex")
        return value
    if not create:
        raise RuntimeError(f"no statement key at {path}; production will not generate one")
    value = secrets.token_bytes(32)
    write_secret(path, value.hex().encode() + b"\n")
    return value
