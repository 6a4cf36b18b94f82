"""Wrong state, wrong nonce, another client's, expired or forged ID tokens: refused with a
clear page (400), and nothing is created: no link, no session."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from sqlalchemy import func, select

from broker import clock
from broker.extensions import db
from broker.models import ExternalIdentity, UserSession
from broker.people import oidc
from tests.oidc.fixtures import ONE_LOGIN_CLIENT, OidcProvider, at_provider, local, one_login
from tests.oidc.people import claimant_with_email


def nothing_created(app: Flask) -> None:
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalIdentity)) == 0
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
def alex(oidc_app: Flask) -> str:
    with oidc_app.app_context():
        return claimant_with_email("alex@example.com", "UC-2001-AM").id


def test_a_callback_this_browser_never_started_is_refused(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider, alex: str
):
    """Login CSRF: an attacker's own code and state, planted in the claimant's browser."""
    attacker = oidc_app.test_client()
    start = attacker.get("/one-login/start")
    back = at_provider(oidc_provider, start.headers["Location"], "alex")

    victim = oidc_app.test_client()
    answer = victim.get(local(back))

    assert answer.status_code == 400
    assert "We could not sign you in" in answer.text
    nothing_created(oidc_app)


def test_a_changed_state_is_refused(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider, alex: str
):
    client = oidc_app.test_client()
    start = client.get("/one-login/start")
    back = at_provider(oidc_provider, start.headers["Location"], "alex")

    answer = client.get(local(with_param(back, "state", "not-the-state")))

    assert answer.status_code == 400
    nothing_created(oidc_app)


def test_an_id_token_for_another_nonce_is_refused(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider, alex: str
):
    """The provider really signs an ID token, but for a nonce this sign-in did not make."""
    answer = one_login(
        oidc_app.test_client(),
        oidc_provider,
        "alex",
        edit=lambda url: with_param(url, "nonce", "someone-elses-nonce"),
    )

    assert answer.status_code == 400
    nothing_created(oidc_app)


def test_a_code_is_used_once(app: Flask, oidc_app: Flask, oidc_provider: OidcProvider, alex: str):
    client = oidc_app.test_client()
    start = client.get("/one-login/start")
    back = at_provider(oidc_provider, start.headers["Location"], "alex")
    assert client.get(local(back)).status_code == 303

    replayed = oidc_app.test_client().get(local(back))

    assert replayed.status_code == 400
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


# The checks themselves, on tokens signed with the provider's own key (or another).


@pytest.fixture
def provider_jwks(oidc_provider: OidcProvider) -> dict:
    metadata = requests.get(
        f"{oidc_provider.issuer}/.well-known/openid-configuration", timeout=5
    ).json()
    return requests.get(metadata["jwks_uri"], timeout=5).json()


def claims(oidc_provider: OidcProvider, **changes: object) -> dict:
    now = int(time.time())
    base = {
        "iss": oidc_provider.issuer,
        "sub": "alex",
        "aud": ONE_LOGIN_CLIENT,
        "exp": now + 300,
        "iat": now,
        "nonce": "the-nonce",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def check(token: str, jwks: dict, oidc_provider: OidcProvider) -> dict:
    return oidc.check_id_token(
        token,
        jwks=jwks,
        issuer=oidc_provider.issuer,
        client_id=ONE_LOGIN_CLIENT,
        nonce="the-nonce",
        now=clock.now(),
    )


def test_the_providers_token_for_us_passes(oidc_provider: OidcProvider, provider_jwks: dict):
    assert check(oidc_provider.sign(claims(oidc_provider)), provider_jwks, oidc_provider)["sub"]


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-client"},
        {"aud": ["another-client"]},
        {"iss": "https://oidc.example"},
        {"exp": int(time.time()) - 3600},
        {"nonce": "another-nonce"},
        {"nonce": None},
        {"iat": int(time.time()) + 3600},
    ],
    ids=["audience", "audience-list", "issuer", "expired", "nonce", "no-nonce", "future"],
)
def test_a_misdirected_or_stale_token_is_refused(
    oidc_provider: OidcProvider, provider_jwks: dict, changes: dict
):
    with pytest.raises(oidc.TokenRefused):
        check(oidc_provider.sign(claims(oidc_provider, **changes)), provider_jwks, oidc_provider)


def test_a_forged_token_is_refused(oidc_provider: OidcProvider, provider_jwks: dict):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        claims(oidc_provider), forger, algorithm="RS256", headers={"kid": "provider-key-1"}
    )
    with pytest.raises(oidc.TokenRefused):
        check(forged, provider_jwks, oidc_provider)


def test_hmac_and_none_are_refused(oidc_provider: OidcProvider, provider_jwks: dict):
    unsigned = jwt.encode(claims(oidc_provider), None, algorithm="none")
    hmac_signed = jwt.encode(claims(oidc_provider), "broker-one-login-secret" * 2, "HS256")
    for token in (unsigned, hmac_signed):
        with pytest.raises(oidc.TokenRefused):
            check(token, provider_jwks, oidc_provider)


def test_garbage_is_the_provider_garbling(oidc_provider: OidcProvider, provider_jwks: dict):
    for token in ("not-a-jwt", None, "a.b.c"):
        with pytest.raises(oidc.ProviderGarbled):
            check(token, provider_jwks, oidc_provider)
