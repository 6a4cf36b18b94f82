"""OpenID Connect Back-Channel Logout 1.0: a logout token from the provider ends every session
of that person here; a forged, misdirected, replayed or malformed one is refused with 400."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from broker.people.oidc import BACKCHANNEL_LOGOUT_EVENT
from tests.oidc.fixtures import ONE_LOGIN_CLIENT, OidcProvider, one_login
from tests.oidc.people import claimant_with_email


def logout_claims(provider: OidcProvider, **changes: object) -> dict:
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


def post(client: FlaskClient, token: str):  # noqa: ANN201
    return client.post("/oidc/backchannel-logout", data={"logout_token": token})


@pytest.fixture
def signed_in(app: Flask, oidc_app: Flask, oidc_provider: OidcProvider) -> list[FlaskClient]:
    """Alex, signed in through One Login on two browsers."""
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    browsers = [oidc_app.test_client(), oidc_app.test_client()]
    for browser in browsers:
        assert one_login(browser, oidc_provider, "alex").status_code == 303
        assert browser.get("/").status_code == 200
    return browsers


def test_a_logout_token_ends_every_session(
    oidc_app: Flask, oidc_provider: OidcProvider, signed_in: list[FlaskClient]
):
    answer = post(oidc_app.test_client(), oidc_provider.sign(logout_claims(oidc_provider)))

    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    for browser in signed_in:
        assert browser.get("/").status_code == 303  # to sign-in


def test_a_token_naming_only_the_providers_session_ends_it(
    oidc_app: Flask, oidc_provider: OidcProvider, signed_in: list[FlaskClient]
):
    from sqlalchemy import select

    from broker.extensions import db
    from broker.models import ExternalSession

    with oidc_app.app_context():
        sids = db.session.scalars(select(ExternalSession.sid)).all()
    assert len(sids) == 2
    token = oidc_provider.sign(logout_claims(oidc_provider, sub=None, sid=sids[0]))

    assert post(oidc_app.test_client(), token).status_code == 200
    still = [browser.get("/").status_code for browser in signed_in]
    assert sorted(still) == [200, 303]


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-client"},
        {"iss": "https://oidc.example"},
        {"events": {"http://schemas.openid.net/event/something-else": {}}},
        {"events": None},
        {"nonce": "n"},
        {"sub": None},
        {"jti": None},
        {"iat": int(time.time()) - 3600},
    ],
    ids=[
        "audience",
        "issuer",
        "other-event",
        "no-events",
        "nonce",
        "no-sub-or-sid",
        "no-jti",
        "old",
    ],
)
def test_a_bad_logout_token_is_refused(
    oidc_app: Flask, oidc_provider: OidcProvider, signed_in: list[FlaskClient], changes: dict
):
    answer = post(
        oidc_app.test_client(), oidc_provider.sign(logout_claims(oidc_provider, **changes))
    )

    assert answer.status_code == 400
    assert answer.get_json() == {"error": "invalid_request"}
    assert all(browser.get("/").status_code == 200 for browser in signed_in)


def test_a_forged_or_missing_token_is_refused(
    oidc_app: Flask, oidc_provider: OidcProvider, signed_in: list[FlaskClient]
):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        logout_claims(oidc_provider), forger, algorithm="RS256", headers={"kid": "provider-key-1"}
    )
    client = oidc_app.test_client()
    assert post(client, forged).status_code == 400
    assert client.post("/oidc/backchannel-logout", data={}).status_code == 400
    assert post(client, "garbage").status_code == 400
    assert all(browser.get("/").status_code == 200 for browser in signed_in)


def test_a_replayed_logout_token_is_refused(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    token = oidc_provider.sign(logout_claims(oidc_provider))
    client = oidc_app.test_client()
    assert post(client, token).status_code == 200
    assert post(client, token).status_code == 400
