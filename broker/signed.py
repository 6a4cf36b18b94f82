"""Signed documents: checkpoints, statements, receipts and history copies, as compact JWS.

Each is JSON (sorted keys, no spaces) signed with the broker's ES256 key by PyJWT's JWS, with
`kid` (the RFC 7638 thumbprint already published at /.well-known/jwks.json) and a `typ` naming
the kind of document. Checking one needs only that JWKS document: no database, no network.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from .tokens import ALGORITHM, SigningKey

CHECKPOINT, STATEMENT, RECEIPT, HISTORY = (
    "consent-broker-checkpoint",
    "consent-broker-statement",
    "consent-broker-receipt",
    "consent-broker-history",
)
KINDS = (CHECKPOINT, STATEMENT, RECEIPT, HISTORY)


class BadSignature(ValueError):
    """A document whose signature, key or kind is not right; the message says which."""


def canonical_json(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key() -> SigningKey:
    """The app's signing key (the one that signs access tokens)."""
    return current_app.extensions["broker.tokens"].key


def jwks() -> dict[str, Any]:
    return current_app.extensions["broker.tokens"].jwks()


def sign(payload: dict[str, Any], kind: str, signing_key: SigningKey | None = None) -> str:
    signing_key = signing_key or key()
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
        raise BadSignature("it is not a signed document (JWS)") from None
    if header.get("alg") != ALGORITHM:
        raise BadSignature(f"it is signed with {header.get('alg')!r}, not {ALGORITHM}")
    if header.get("typ") != kind:
        raise BadSignature(f"it is a {header.get('typ')!r}, not a {kind!r}")
    keys = {k.get("kid"): k for k in key_set.get("keys", [])}
    if header.get("kid") not in keys:
        raise BadSignature("it was signed by a key the broker has not published")
    public = jwt.PyJWK.from_dict(keys[header["kid"]], algorithm=ALGORITHM)
    try:
        body = jwt.api_jws.decode_complete(token, public.key, algorithms=[ALGORITHM])["payload"]
    except jwt.PyJWTError:
        raise BadSignature("the signature does not match its contents") from None
    try:
        payload = json.loads(body)
    except ValueError:
        raise BadSignature("the signed contents are not JSON") from None
    if not isinstance(payload, dict):
        raise BadSignature("the signed contents are not a JSON object")
    return payload


def salt_key(signing_key: SigningKey | None = None) -> bytes:
    """The secret behind the audit chain's per-event salts (see broker/checkpoints.py), derived
    from the signing key with HKDF (RFC 5869), so there is no second secret to keep."""
    signing_key = signing_key or key()
    secret = signing_key.private_key.private_numbers().private_value.to_bytes(32, "big")
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"consent-broker audit actor salts"
    ).derive(secret)
