"""A claimant whose verified One Login email is theirs alone is linked at first sign-in, with an
event on their chain, and signs in straight away next time."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from broker.extensions import db
from broker.models import AuditEvent, ExternalIdentity
from tests.oidc.fixtures import OidcProvider, one_login
from tests.oidc.people import claimant_with_email


def test_first_sign_in_links_by_verified_email_and_lands_on_the_home_page(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    with oidc_app.app_context():
        claimant_id = claimant_with_email("alex@example.com", "UC-2001-AM").id
    client = oidc_app.test_client()

    answer = one_login(client, oidc_provider, "alex")

    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Alex Morgan" in home.text
    with oidc_app.app_context():
        link = db.session.scalar(select(ExternalIdentity))
        assert (link.issuer, link.subject, link.account_id) == (
            oidc_provider.issuer,
            "alex",
            claimant_id,
        )
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.claimant_id == claimant_id)
        ).all()
        assert "sign_in.linked" in actions


def test_the_next_sign_in_finds_the_link(app: Flask, oidc_app: Flask, oidc_provider: OidcProvider):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    assert one_login(oidc_app.test_client(), oidc_provider, "alex").status_code == 303

    again = oidc_app.test_client()
    assert one_login(again, oidc_provider, "alex").status_code == 303
    assert again.get("/").status_code == 200
    with oidc_app.app_context():
        assert len(db.session.scalars(select(ExternalIdentity)).all()) == 1


def test_an_unverified_email_links_nobody(app: Flask, oidc_app: Flask, oidc_provider: OidcProvider):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    client = oidc_app.test_client()

    answer = one_login(client, oidc_provider, "alex-unverified")

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/one-login/link")
    with oidc_app.app_context():
        assert db.session.scalar(select(ExternalIdentity)) is None
