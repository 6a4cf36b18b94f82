"""security.md 17: JWT algorithm confusion. One algorithm (ES256), `typ` at+jwt, our issuer and
audience, our key by `kid`; `jku`/`jwk` headers are never followed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from broker import services
from tests.factories import bearer


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forgeries(app, access_token: str) -> dict[str, str]:  # noqa: ANN001
    service = services.of(app).tokens
    claims = jwt.decode(access_token, options={"verify_signature": False})
    ours = {"typ": "at+jwt", "kid": service.key.kid}
    attacker = ec.generate_private_key(ec.SECP256R1())
    attacker_jwk = json.loads(ECAlgorithm.to_jwk(attacker.public_key()))
    public_pem = service.key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_head = b64({"alg": "HS256", "typ": "at+jwt", "kid": service.key.kid})
    hs_body = b64(claims)
    hs_sig = b64(hmac.new(public_pem, f"{hs_head}.{hs_body}".encode(), hashlib.sha256).digest())
    widened = dict(claims, scope="mr:read journal:read journal:sensitive mr:request")
    return {
        "alg none": f"{b64({'alg': 'none', 'typ': 'at+jwt'})}.{b64(widened)}.",
        "HS256 keyed with our public key": f"{hs_head}.{hs_body}.{hs_sig}",
        "bad iss": jwt.encode(
            dict(claims, iss="https://evil.example"),
            service.key.private_key,
            algorithm="ES256",
            headers=ours,
        ),
        "bad aud": jwt.encode(
            dict(claims, aud="https://evil.example"),
            service.key.private_key,
            algorithm="ES256",
            headers=ours,
        ),
        "unknown kid": jwt.encode(
            claims,
            service.key.private_key,
            algorithm="ES256",
            headers={"typ": "at+jwt", "kid": "someone-elses-key"},
        ),
        "wrong typ": jwt.encode(
            claims,
            service.key.private_key,
            algorithm="ES256",
            headers={"typ": "JWT", "kid": service.key.kid},
        ),
        "embedded jwk": jwt.encode(
            widened, attacker, algorithm="ES256", headers={**ours, "jwk": attacker_jwk}
        ),
        "jku to the attacker": jwt.encode(
            widened,
            attacker,
            algorithm="ES256",
            headers={**ours, "jku": "https://evil.example/jwks"},
        ),
        "missing grant_id": jwt.encode(
            {k: v for k, v in claims.items() if k != "grant_id"},
            service.key.private_key,
            algorithm="ES256",
            headers=ours,
        ),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "alg none",
        "HS256 keyed with our public key",
        "bad iss",
        "bad aud",
        "unknown kid",
        "wrong typ",
        "embedded jwk",
        "jku to the attacker",
        "missing grant_id",
    ],
)
def test_a_forged_or_confused_token_is_refused(app, case, tokens, kind):
    forged = forgeries(app, tokens["access_token"])[kind]

    response = app.test_client().get(
        f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(forged)
    )

    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"
    assert "Limited capability" not in response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
