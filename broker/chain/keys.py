"""The broker's ES256 signing keys, one at a time: what a key is (its kid is the RFC 7638
thumbprint), how its private half is sealed at rest (AES-GCM under BROKER_KEY_ENCRYPTION_KEY),
and the files a broker before the key ring kept them in (imported once, broker/chain/keyring.py).
Access tokens, checkpoints, receipts, statements, history copies and pushed events are all signed
with the current key; domain code is handed a `Signer` and never learns where keys are kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwt.algorithms import ECAlgorithm

log = logging.getLogger(__name__)

ALGORITHM = "ES256"
KEY_FILE = "signing-key.pem"
RETIRED_FILE = "retired-keys.json"  # public JWKs of retired signing keys, oldest first
KEK_FILE = "key-encryption-key"  # outside production: BROKER_KEY_ENCRYPTION_KEY's stand-in


@dataclass(frozen=True)
class SigningKey:
    private_key: ec.EllipticCurvePrivateKey
    kid: str
    public_jwk: dict[str, str]

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()


def write_secret(path: Path, data: bytes) -> None:
    """Write a secret file readable by its owner only (0600), replacing any file atomically.
    A folder it makes for it is its owner's alone too (0700): other accounts cannot even list
    it. One that exists already is left as its operator made it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def read_legacy_key(key_dir: Path) -> SigningKey | None:
    """The signing key a broker before the key ring kept in `signing-key.pem`, if there is one:
    imported into the database on first use (broker/chain/keyring.py), with the same kid."""
    path = key_dir / KEY_FILE
    if not path.exists():
        return None
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise KeyStoreError(f"{path} is not an EC private key")
    return signing_key_of(private_key)


def load_retired_keys(key_dir: Path) -> list[dict[str, str]]:
    """The public JWKs of the keys a broker before the key ring retired, oldest first."""
    path = key_dir / RETIRED_FILE
    if not path.exists():
        return []
    keys = json.loads(path.read_text())["keys"]
    return [k for k in keys if isinstance(k, dict) and k.get("kid")]


def new_signing_key() -> SigningKey:
    return signing_key_of(ec.generate_private_key(ec.SECP256R1()))


class KeyStoreError(RuntimeError):
    """The signing keys cannot be had: none stored where production may not make one, or the
    key-encryption key does not open them. The message says what the operator should do."""


KEK_BYTES = 32  # AES-256-GCM
KEK_HOWTO = (
    "make one with python3 -c 'import base64, secrets; "
    "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'"
)


def parse_key_encryption_key(value: str) -> bytes:
    """BROKER_KEY_ENCRYPTION_KEY: 32 random bytes, base64url (padding optional)."""
    text = value.strip()
    try:
        kek = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        kek = b""
    if len(kek) != KEK_BYTES:
        raise KeyStoreError(
            f"BROKER_KEY_ENCRYPTION_KEY must be {KEK_BYTES} random bytes in base64url: {KEK_HOWTO}"
        )
    return kek


def key_encryption_key(value: str | None, key_dir: Path, *, create: bool) -> bytes:
    """The key the signing keys' private halves are sealed under: BROKER_KEY_ENCRYPTION_KEY, or,
    outside production (`create`), one made once and kept 0600 in BROKER_KEY_DIR like the
    statement key. Production will not start without the setting."""
    if value:
        return parse_key_encryption_key(value)
    path = key_dir / KEK_FILE
    if path.exists():
        return parse_key_encryption_key(path.read_text())
    if not create:
        raise KeyStoreError(f"BROKER_KEY_ENCRYPTION_KEY must be set in production: {KEK_HOWTO}")
    kek = secrets.token_bytes(KEK_BYTES)
    write_secret(path, base64.urlsafe_b64encode(kek) + b"\n")
    log.info("generated a key-encryption key in %s", key_dir)
    return kek


NONCE_BYTES = 12


def seal(kek: bytes, key: SigningKey) -> bytes:
    """The private key (PKCS#8 DER) sealed with AES-GCM: a fresh nonce, then the ciphertext. The
    kid is the associated data, so a sealed key moved onto another row does not open."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    der = key.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return nonce + AESGCM(kek).encrypt(nonce, der, key.kid.encode())


def unseal(kek: bytes, kid: str, sealed: bytes) -> SigningKey:
    try:
        der = AESGCM(kek).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], kid.encode())
    except InvalidTag:
        raise KeyStoreError(
            f"BROKER_KEY_ENCRYPTION_KEY does not open signing key kid {kid}: it is not the key the "
            "signing keys were sealed under (every worker and host needs the same one)"
        ) from None
    private_key = serialization.load_der_private_key(der, password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise KeyStoreError(f"signing key kid {kid} is not an EC private key")
    key = signing_key_of(private_key)
    if key.kid != kid:
        raise KeyStoreError(f"signing key kid {kid} does not match its kid")
    return key


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
