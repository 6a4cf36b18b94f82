"""DPoP proofs made the way a case system would make them: its own keys and JWTs, with PyJWT and
cryptography only. Nothing here imports the broker's DPoP code, so the tests check the server
against RFC 9449, not against itself."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ISSUER = "http://broker.test"  # the tests' BROKER_ISSUER
TOKEN_URL = f"{ISSUER}/oauth/token"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ClientKey:
    """A client's DPoP key pair."""

    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        if alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.jwk = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        elif alg == "EdDSA":
            self.private = ed25519.Ed25519PrivateKey.generate()
            self.jwk = json.loads(OKPAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))

    @property
    def jkt(self) -> str:
        """RFC 7638, worked out here from the RFC's text."""
        required = {
            "EC": ("crv", "kty", "x", "y"),
            "RSA": ("e", "kty", "n"),
            "OKP": ("crv", "kty", "x"),
        }
        members = {m: self.jwk[m] for m in required[self.jwk["kty"]]}
        text = json.dumps(members, sort_keys=True, separators=(",", ":"))
        return b64url(hashlib.sha256(text.encode()).digest())

    def proof(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        nonce: str | None = None,
        iat: float | None = None,
        jti: str | None = None,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        payload: dict[str, Any] = {
            "jti": jti or secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(time.time() if iat is None else iat),
        }
        if token is not None:
            payload["ath"] = b64url(hashlib.sha256(token.encode()).digest())
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims)
        headers = {"typ": "dpop+jwt", "jwk": self.jwk, **(header or {})}
        return jwt.encode(payload, self.private, algorithm=self.alg, headers=headers)


def api_headers(
    key: ClientKey, token: str, method: str, url: str, nonce: str | None
) -> dict[str, str]:
    return {
        "Authorization": f"DPoP {token}",
        "DPoP": key.proof(method, url, token=token, nonce=nonce),
    }
