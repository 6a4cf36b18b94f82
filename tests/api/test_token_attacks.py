"""Tokens that are not ours, not for us, or out of date are refused with 401 invalid_token."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from broker import clock, services
from broker.extensions import db
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)


@pytest.fixture
def setup(ctx):  # noqa: ANN201
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser())
    decision = make_decision(claimant)
    token, jti = issue_token(grant)
    return {
        "grant": grant,
        "decision": decision,
        "token": token,
        "jti": jti,
        "claims": jwt.decode(token, options={"verify_signature": False}),
    }


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _refused(client, setup, token: str) -> None:  # noqa: ANN001
    response = client.get(f"/api/v1/mr-decisions/{setup['decision'].id}", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.json["error"] == "invalid_token"
    assert "Limited capability" not in response.text


def test_the_genuine_token_works(client, setup):
    response = client.get(
        f"/api/v1/mr-decisions/{setup['decision'].id}", headers=bearer(setup["token"])
    )
    assert response.status_code == 200


def test_a_token_signed_by_another_key_is_refused(client, setup):
    other_key = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(
        setup["claims"],
        other_key,
        algorithm="ES256",
        headers={"typ": "at+jwt", "kid": jwt.get_unverified_header(setup["token"])["kid"]},
    )
    _refused(client, setup, forged)


def test_a_tampered_payload_is_refused(client, setup):
    header, _payload, signature = setup["token"].split(".")
    widened = dict(setup["claims"], scope="mr:read mr:request journal:sensitive")
    _refused(client, setup, f"{header}.{_b64(widened)}.{signature}")


def test_alg_none_is_refused(client, setup):
    header = {"alg": "none", "typ": "at+jwt"}
    _refused(client, setup, f"{_b64(header)}.{_b64(setup['claims'])}.")


def test_hs256_signed_with_the_public_key_is_refused(app, client, setup):
    from cryptography.hazmat.primitives import serialization

    public_pem = services.of(app).tokens.key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64({"alg": "HS256", "typ": "at+jwt"})
    payload = _b64(setup["claims"])
    import hashlib
    import hmac

    mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    _refused(client, setup, f"{header}.{payload}.{signature}")


def test_a_token_for_another_audience_is_refused(app, client, setup):
    key = services.of(app).tokens.key
    other = jwt.encode(
        dict(setup["claims"], aud="https://another-service.example"),
        key.private_key,
        algorithm="ES256",
        headers={"typ": "at+jwt", "kid": key.kid},
    )
    _refused(client, setup, other)


def test_a_token_from_another_issuer_is_refused(app, client, setup):
    key = services.of(app).tokens.key
    other = jwt.encode(
        dict(setup["claims"], iss="https://evil.example"),
        key.private_key,
        algorithm="ES256",
        headers={"typ": "at+jwt", "kid": key.kid},
    )
    _refused(client, setup, other)


def test_a_signed_id_token_shaped_jwt_without_at_jwt_type_is_refused(app, client, setup):
    key = services.of(app).tokens.key
    other = jwt.encode(
        setup["claims"], key.private_key, algorithm="ES256", headers={"typ": "JWT", "kid": key.kid}
    )
    _refused(client, setup, other)


def test_an_expired_token_is_refused(ctx, client, setup):
    past = clock.now() - timedelta(minutes=20)
    old_token, _ = issue_token(setup["grant"], now=past)
    _refused(client, setup, old_token)


def test_a_token_that_worked_is_refused_once_it_expires(ctx, client, frozen_clock):
    # The guard remembers tokens whose signature it has checked; expiry is checked every time.
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser())
    decision = make_decision(claimant)
    token, _ = issue_token(grant)
    path = f"/api/v1/mr-decisions/{decision.id}"
    assert client.get(path, headers=bearer(token)).status_code == 200

    frozen_clock.advance(minutes=6)

    refused = client.get(path, headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json["error"] == "invalid_token"


def test_a_token_never_reaches_past_its_grant_even_if_it_names_more(ctx, client):
    # Narrowing revokes the grant's tokens; this is the guard's own check behind that.
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser(), "mr:read journal:read")
    decision = make_decision(claimant)
    token, _ = issue_token(grant)
    grant.scopes = "journal:read"
    db.session.commit()

    refused = client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))

    assert refused.status_code == 403
    assert refused.json["error"] == "insufficient_scope"
    assert client.get("/api/v1/journal", headers=bearer(token)).status_code == 200


def test_no_token_and_a_token_in_the_query_string_are_refused(client, setup):
    missing = client.get(f"/api/v1/mr-decisions/{setup['decision'].id}")
    in_url = client.get(
        f"/api/v1/mr-decisions/{setup['decision'].id}?access_token={setup['token']}"
    )
    assert missing.status_code == in_url.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer ")
