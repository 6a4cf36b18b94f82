"""security.md 56: login CSRF. An attacker finishes a One Login sign-in of their own and plants
the callback (their code and state) in a claimant's browser, to sign the claimant in as the
attacker. The state Authlib keeps in the browser's own session must match: refused, nothing
created."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from broker.extensions import db
from broker.models import ExternalIdentity, UserSession
from tests.oidc.fixtures import OidcProvider, at_provider, local
from tests.oidc.people import claimant_with_email


def test_a_planted_callback_signs_nobody_in(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    attacker = oidc_app.test_client()
    start = attacker.get("/one-login/start")
    planted = local(at_provider(oidc_provider, start.headers["Location"], "alex"))

    victim = oidc_app.test_client()
    victim.get("/sign-in")  # a browser with a session of its own, and no sign-in under way
    answer = victim.get(planted)

    assert answer.status_code == 400
    assert "We could not sign you in" in answer.text
    assert victim.get("/").status_code == 303
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalIdentity)) == 0
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_a_callback_without_state_is_refused(app: Flask, oidc_app: Flask):
    client = oidc_app.test_client()
    assert client.get("/one-login/callback?code=abc").status_code == 400
    assert client.get("/one-login/callback").status_code == 400
    assert client.get("/staff-sign-in/callback?code=abc&state=x").status_code == 400
