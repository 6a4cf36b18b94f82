"""security.md 59: back-channel logout token forgery. Anyone can POST to the logout endpoint;
only a token signed by the provider's published key, for our client, with the back-channel
logout event, no nonce, fresh, and never seen before ends a session."""

from __future__ import annotations

import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask

from broker.people.oidc import BACKCHANNEL_LOGOUT_EVENT
from tests.oidc.fixtures import ONE_LOGIN_CLIENT, OidcProvider, one_login
from tests.oidc.people import claimant_with_email


def claims(provider: OidcProvider, **changes: object) -> dict:
    base = {
        "iss": provider.issuer,
        "aud": ONE_LOGIN_CLIENT,
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
        "sub": "alex",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_forgeries_end_nothing_and_the_real_token_ends_it_once(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    browser = oidc_app.test_client()
    assert one_login(browser, oidc_provider, "alex").status_code == 303
    attacker = oidc_app.test_client()
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forgeries = [
        jwt.encode(claims(oidc_provider), forger, "RS256", headers={"kid": "provider-key-1"}),
        jwt.encode(claims(oidc_provider), None, algorithm="none"),
        jwt.encode(claims(oidc_provider), "a-guessed-client-secret-of-length", "HS256"),
        oidc_provider.sign(claims(oidc_provider, aud="another-client")),
        # An ID token is not a logout token: it has a nonce and no logout event.
        oidc_provider.sign(claims(oidc_provider, events=None, nonce="n", exp=now + 300, jti=None)),
    ]
    for token in forgeries:
        answer = attacker.post("/oidc/backchannel-logout", data={"logout_token": token})
        assert answer.status_code == 400
        assert answer.get_json() == {"error": "invalid_request"}
    assert browser.get("/").status_code == 200

    real = oidc_provider.sign(claims(oidc_provider))
    assert attacker.post("/oidc/backchannel-logout", data={"logout_token": real}).status_code == 200
    assert browser.get("/").status_code == 303
    replay = attacker.post("/oidc/backchannel-logout", data={"logout_token": real})
    assert replay.status_code == 400
