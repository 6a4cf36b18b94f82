"""One Login says in the ID token's `vot` which level of trust it achieved; the broker asked for
BROKER_ONELOGIN_VTR and refuses anything else, or no `vot` at all: a clear 400, nobody signed in,
nothing linked, nothing stored. The provider (tests/oidc/provider.mjs) signs each account's own
`vot` into its ID tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from broker.extensions import db
from broker.models import AuditEvent, ExternalIdentity
from tests.oidc.fixtures import OidcProvider, build_app, one_login
from tests.oidc.people import claimant_with_email


def _stored() -> tuple[int, list[str]]:
    links = db.session.scalar(select(func.count()).select_from(ExternalIdentity))
    actions = db.session.scalars(select(AuditEvent.action)).all()
    return links, [a for a in actions if a.startswith("sign_in")]


@pytest.mark.parametrize("login", ["alex-low", "alex-no-vot"])
def test_a_lower_or_missing_vot_is_refused_and_nothing_is_linked(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider, login: str
):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
        before = _stored()
    client = oidc_app.test_client()

    answer = one_login(client, oidc_provider, login)

    assert answer.status_code == 400
    assert "did not check who you are as closely as this service needs" in answer.text
    assert client.get("/").status_code in (302, 303)  # not signed in
    with oidc_app.app_context():
        assert _stored() == before
        assert before[0] == 0


def test_the_level_asked_for_signs_in(app: Flask, oidc_app: Flask, oidc_provider: OidcProvider):
    with oidc_app.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")

    answer = one_login(oidc_app.test_client(), oidc_provider, "alex")  # vot Cl.Cm

    assert answer.status_code == 303, answer.text


def test_a_lower_level_passes_when_it_is_one_asked_for(
    app: Flask, oidc_provider: OidcProvider, client_key_file: Path
):
    lenient = build_app(app, oidc_provider, client_key_file, BROKER_ONELOGIN_VTR='["Cl.Cm", "Cl"]')
    with lenient.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    try:
        answer = one_login(lenient.test_client(), oidc_provider, "alex-low")
        assert answer.status_code == 303, answer.text
    finally:
        with lenient.app_context():
            db.engine.dispose()


def test_a_vtr_that_is_not_a_json_list_stops_the_app(
    app: Flask, oidc_provider: OidcProvider, client_key_file: Path
):
    with pytest.raises(ValueError, match="BROKER_ONELOGIN_VTR"):
        build_app(app, oidc_provider, client_key_file, BROKER_ONELOGIN_VTR="Cl.Cm")
