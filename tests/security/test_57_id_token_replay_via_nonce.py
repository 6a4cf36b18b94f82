"""security.md 57: ID token replay. An ID token the provider really signed, but for another
sign-in (another nonce), or a code used a second time, signs nobody in."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask
from sqlalchemy import func, select

from broker.extensions import db
from broker.models import ExternalIdentity, UserSession
from tests.oidc.fixtures import OidcProvider, at_provider, local, one_login
from tests.oidc.people import claimant_with_email


def with_nonce(url: str, nonce: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["nonce"] = nonce
    return urlunsplit(parts._replace(query=urlencode(query)))


def sessions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UserSession))


def test_an_id_token_made_for_another_nonce_is_refused(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")

    answer = one_login(
        oidc_app.test_client(), oidc_provider, "alex", edit=lambda url: with_nonce(url, "stolen")
    )

    assert answer.status_code == 400
    assert sessions(oidc_app) == 0
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalIdentity)) == 0


def test_a_callback_replayed_is_refused(app: Flask, oidc_app: Flask, oidc_provider: OidcProvider):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    client = oidc_app.test_client()
    start = client.get("/one-login/start")
    callback = local(at_provider(oidc_provider, start.headers["Location"], "alex"))
    assert client.get(callback).status_code == 303

    assert oidc_app.test_client().get(callback).status_code == 400
    assert client.get(callback).status_code == 400  # the state was used up with the first
    assert sessions(oidc_app) == 1
