"""The broker's ES256 signing key: loaded (or, outside production, made) once per process,
rotated by `consent-broker rotate-signing-key`, with every retired public key kept so that
what it signed keeps verifying (security.md 34). Access tokens, checkpoints, receipts,
statements, history copies and pushed events are all signed with it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

log = logging.getLogger(__name__)

ALGORITHM = "ES256"
KEY_FILE = "signing-key.pem"
RETIRED_FILE = "retired-keys.json"  # public JWKs of retired signing keys, oldest first


@dataclass(frozen=True)
class SigningKey:
    private_key: ec.EllipticCurvePrivateKey
    kid: str
    public_jwk: dict[str, str]

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()


def write_secret(path: Path, data: bytes) -> None:
    """Write a secret file readable by its owner only (0600), replacing any file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def _pem(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_or_create_key(key_dir: Path, *, create: bool) -> SigningKey:
    """The ES256 key from key_dir, created there (mode 0600) on first start when allowed."""
    path = key_dir / KEY_FILE
    if path.exists():
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise RuntimeError(f"{path} is not an EC private key")
    elif create:
        private_key = ec.generate_private_key(ec.SECP256R1())
        write_secret(path, _pem(private_key))
        log.info("generated a new signing key in %s", key_dir)
    else:
        raise RuntimeError(f"no signing key at {path}; production will not generate one")
    return signing_key_of(private_key)


def load_retired_keys(key_dir: Path) -> list[dict[str, str]]:
    """The public JWKs of every retired signing key, oldest first (none before a rotation)."""
    path = key_dir / RETIRED_FILE
    if not path.exists():
        return []
    keys = json.loads(path.read_text())["keys"]
    return [k for k in keys if isinstance(k, dict) and k.get("kid")]


def rotate_key(key_dir: Path) -> tuple[SigningKey, SigningKey]:
    """Retire the current signing key (its public JWK is kept for verifying) and make a new one
    current. Returns (retired, new). The retired private key is overwritten, never kept."""
    old = load_or_create_key(key_dir, create=False)
    retired = load_retired_keys(key_dir)
    if old.kid not in {k["kid"] for k in retired}:
        retired.append(old.public_jwk)
    # The retired list first: if the new key were written and this were not, the old key's
    # signatures could no longer be checked. 0600 like every key file (security.md 69).
    write_secret(key_dir / RETIRED_FILE, (json.dumps({"keys": retired}, indent=1) + "\n").encode())
    new_private = ec.generate_private_key(ec.SECP256R1())
    write_secret(key_dir / KEY_FILE, _pem(new_private))
    new = signing_key_of(new_private)
    log.info("rotated the signing key: %s retired, %s current", old.kid, new.kid)
    return old, new


def signing_key_of(private_key: ec.EllipticCurvePrivateKey) -> SigningKey:
    jwk = json.loads(ECAlgorithm.to_jwk(private_key.public_key()))
    public = {k: jwk[k] for k in ("kty", "crv", "x", "y")}
    # RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
    thumb_input = json.dumps(public, sort_keys=True, separators=(",", ":")).encode()
    kid = jwt.utils.base64url_encode(hashlib.sha256(thumb_input).digest()).decode()
    return SigningKey(private_key, kid, {**public, "kid": kid, "use": "sig", "alg": ALGORITHM})


class Signer(Protocol):
    """What signs for the broker: its current key and its issuer (the token service is one).
    Domain code that signs a receipt or an event is handed one; it never loads keys itself."""

    @property
    def key(self) -> SigningKey: ...
    @property
    def issuer(self) -> str: ...
