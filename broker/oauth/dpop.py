"""DPoP (RFC 9449): proofs of possession that bind a token to the client's key.

Authlib has none of this. This module checks a proof given what the request was (method, URL,
time, and on the API the access token and the key the token is bound to), makes and checks the
server's nonces, computes RFC 7638 thumbprints, and remembers each proof's `jti` in the database
for as long as the proof could be accepted, so a proof is single-use across every worker.
HTTP (headers, challenges) stays in the web layer.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt

from ..clock import to_driver
from ..driver import pg
from ..extensions import db

# RFC 9449 5.1: what the broker accepts. `none` and the HMAC algorithms never: a proof must be
# made with a private key only the client holds.
ALGORITHMS = ("ES256", "EdDSA", "RS256")
PROOF_TYPE = "dpop+jwt"
# A proof is fresh for a minute after it was made (clocks drift a little, so a few seconds
# ahead too); its jti is remembered for that long, so it can never be used twice.
IAT_PAST = timedelta(seconds=60)
IAT_FUTURE = timedelta(seconds=5)
NONCE_SLOT_SECONDS = 300  # a nonce lives for its slot and the next one: 5 to 10 minutes
LONGEST_JTI = 256
LONGEST_PROOF = 8192
# JWK members that only a private (or symmetric) key has: a proof carrying them leaked its key.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
# RFC 7638 3.2: the members a thumbprint is computed over, per key type.
THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}
_KEY_FOR_ALG = {"ES256": ("EC", "P-256"), "EdDSA": ("OKP", "Ed25519"), "RS256": ("RSA", None)}
_SMALLEST_RSA_BITS = 2048
_JKT_LENGTH = 43  # base64url of a SHA-256 digest, unpadded


class ProofRefused(Exception):
    """The proof is missing, malformed, or does not fit the request (invalid_dpop_proof)."""

    error = "invalid_dpop_proof"


class NonceNeeded(ProofRefused):
    """The proof carries no nonce, or one that is not ours or too old (use_dpop_nonce)."""

    error = "use_dpop_nonce"


@dataclass(frozen=True, slots=True)
class Proof:
    """A proof that passed every check: the key it was made with, and its replay record."""

    jkt: str
    jti_hash: str
    expires_at: datetime


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, no whitespace; base64url."""
    members = THUMBPRINT_MEMBERS.get(jwk.get("kty", ""))
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise ProofRefused("The proof's key is not a public key of a supported type")
    text = json.dumps({m: jwk[m] for m in members}, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(text.encode()).digest())


def token_hash(access_token: str) -> str:
    """RFC 9449 4.2 `ath`: base64url of the SHA-256 of the access token's ASCII."""
    return b64url(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def is_thumbprint(value: object) -> bool:
    """Whether `value` looks like a SHA-256 thumbprint (dpop_jkt on /authorize)."""
    if not isinstance(value, str) or len(value) != _JKT_LENGTH:
        return False
    try:
        base64.urlsafe_b64decode(value + "=")
    except (binascii.Error, ValueError):
        return False
    return all(c.isalnum() or c in "-_" for c in value)


@functools.lru_cache(maxsize=1024)
def normalise_url(url: str) -> str:
    """RFC 9449 4.3: the URL without query and fragment, scheme and host in lower case, the
    default port left out (RFC 3986 6.2.3), an empty path as "/". Remembered for the last
    thousand URLs: every DPoP request normalises its own URL and its proof's `htu`, and a
    client's requests repeat them; an exception (a refusal) is not remembered."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ProofRefused("htu is not a URL") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        raise ProofRefused("htu must be an absolute URL")
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port is None or port == default else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


class Nonces:
    """Server nonces (RFC 9449 8, 9) that need no storage: an HMAC of a time slot, under a key
    derived from the app's secret, so every worker makes and accepts the same ones. The current
    slot's and the previous one's are accepted."""

    def __init__(self, secret: bytes, *, required: bool) -> None:
        self._key = hmac.new(secret, b"broker dpop nonce", hashlib.sha256).digest()
        self.required = required
        # The slots' nonces made so far: every DPoP answer carries one and every proof's is
        # checked against two, and a slot's stays the same for NONCE_SLOT_SECONDS.
        self._made: dict[int, str] = {}

    def _for_slot(self, slot: int) -> str:
        made = self._made.get(slot)
        if made is None:
            raw = slot.to_bytes(8, "big")
            made = b64url(raw + hmac.new(self._key, raw, hashlib.sha256).digest()[:16])
            if len(self._made) >= 4:  # the current, the previous, and a little room
                self._made.clear()
            self._made[slot] = made
        return made

    def make(self, now: datetime) -> str:
        return self._for_slot(int(now.timestamp()) // NONCE_SLOT_SECONDS)

    def accepts(self, nonce: object, now: datetime) -> bool:
        if not isinstance(nonce, str) or len(nonce) > 64:
            return False
        slot = int(now.timestamp()) // NONCE_SLOT_SECONDS
        return any(hmac.compare_digest(nonce, self._for_slot(s)) for s in (slot, slot - 1))


def check(
    proof: str,
    *,
    method: str,
    url: str,
    now: datetime,
    nonces: Nonces | None = None,
    access_token: str | None = None,
    jkt: str | None = None,
) -> Proof:
    """The checked proof for a request `method url` at `now`; else ProofRefused.

    `access_token`: the token the proof must be bound to (`ath`); `jkt`: the thumbprint of the
    key the token is bound to. With `nonces` requiring one, a proof without a current nonce is
    NonceNeeded. Replay is not checked here: `remember` the returned proof in the transaction.
    """
    if not proof or len(proof) > LONGEST_PROOF:
        raise ProofRefused("A DPoP proof is required")
    header, claims, signed_part, signature = _parsed(proof)
    if header.get("typ") != PROOF_TYPE:
        raise ProofRefused("The DPoP proof's typ must be dpop+jwt")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise ProofRefused(f"The DPoP proof's alg must be one of {' '.join(ALGORITHMS)}")
    key, thumb = _public_key(header.get("jwk"), alg)
    if not _VERIFIERS[alg].verify(signed_part, key, signature):
        raise ProofRefused("The DPoP proof's signature does not verify")
    if jkt is not None and not hmac.compare_digest(thumb, jkt):
        raise ProofRefused("The DPoP proof was made with another key than the token is bound to")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > LONGEST_JTI:
        raise ProofRefused("The DPoP proof needs a jti")
    if claims.get("htm") != method:
        raise ProofRefused("The DPoP proof's htm is not this request's method")
    htu = claims.get("htu")
    if not isinstance(htu, str) or normalise_url(htu) != normalise_url(url):
        raise ProofRefused("The DPoP proof's htu is not this request's URL")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise ProofRefused("The DPoP proof needs an iat")
    made = datetime.fromtimestamp(iat, UTC)
    if not now - IAT_PAST <= made <= now + IAT_FUTURE:
        raise ProofRefused("The DPoP proof is too old or from the future")
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(ath, token_hash(access_token)):
            raise ProofRefused("The DPoP proof's ath is not the hash of this access token")
    if nonces is not None and nonces.required and not nonces.accepts(claims.get("nonce"), now):
        raise NonceNeeded("Use the DPoP-Nonce the server sent")
    # Per key: one client's jti can never collide with (and so block) another's.
    jti_hash = hashlib.sha256(f"{thumb}|{jti}".encode()).hexdigest()
    return Proof(thumb, jti_hash, made + IAT_PAST + IAT_FUTURE)


_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_VERIFIERS = {alg: jwt.get_algorithm_by_name(alg) for alg in ALGORITHMS}


def _parsed(proof: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """The proof's header, claims, signed part and signature, each parsed once (PyJWT's
    decode after get_unverified_header parses it twice, checking each segment's characters in
    a Python loop: most of a proof's cost before this)."""
    segments = proof.split(".")
    if len(segments) != 3 or not all(_SEGMENT.fullmatch(part) for part in segments):
        raise ProofRefused("The DPoP proof is not a JWT")
    try:
        header, claims = (json.loads(_unpadded(part)) for part in segments[:2])
        signature = _unpadded(segments[2])
    except (ValueError, binascii.Error):
        raise ProofRefused("The DPoP proof is not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ProofRefused("The DPoP proof is not a JWT")
    return header, claims, f"{segments[0]}.{segments[1]}".encode(), signature


def _unpadded(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _public_key(jwk: object, alg: str) -> tuple[Any, str]:
    """The proof's public key, checked, and its thumbprint; made once per key and process (a
    client signs every proof with the same key, and building it costs more than the JSON)."""
    if not isinstance(jwk, dict):
        raise ProofRefused("The DPoP proof's header needs the public key (jwk)")
    if PRIVATE_MEMBERS & jwk.keys():
        raise ProofRefused("The DPoP proof's jwk must hold a public key only")
    kty, crv = _KEY_FOR_ALG[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        raise ProofRefused(f"The DPoP proof's key does not fit alg {alg}")
    try:
        return _key_from(json.dumps(jwk, sort_keys=True), alg)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        raise ProofRefused("The DPoP proof's jwk is not a valid key") from None


@functools.lru_cache(maxsize=1024)
def _key_from(jwk_json: str, alg: str) -> tuple[Any, str]:
    jwk = json.loads(jwk_json)
    key = jwt.PyJWK.from_dict(jwk, algorithm=alg).key
    if _KEY_FOR_ALG[alg][0] == "RSA" and key.key_size < _SMALLEST_RSA_BITS:
        raise ProofRefused("The DPoP proof's RSA key is too small")
    return key, thumbprint(jwk)


# The jti store: one row per proof seen, until it could no longer be accepted anyway.

REMEMBER_SQL = "INSERT INTO dpop_proofs (jti_hash, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING"


def remember(proof: Proof) -> bool:
    """Record the proof in the session's transaction; False if it was seen before (a replay).

    The primary key decides, in the database, so two workers given the same proof at once
    cannot both accept it (PostgreSQL makes the second wait for the first's commit). The same
    statement as the resource guard's (protect.py), on the session's connection."""
    postgres = db.engine.dialect.name == "postgresql"
    result = db.session.connection().exec_driver_sql(
        pg(REMEMBER_SQL) if postgres else REMEMBER_SQL,
        (proof.jti_hash, to_driver(proof.expires_at, postgres=postgres)),
    )
    return result.rowcount == 1
