"""A case system can be registered to get only DPoP-bound tokens (RFC 9449 5.2
dpop_bound_access_tokens): by the CLI's --require-dpop or the admin's checkbox, shown in the list;
its token request without a proof is refused."""

from __future__ import annotations

import re

from broker.extensions import db
from broker.models import OAuthClient
from tests.conftest import csrf_from, sign_in
from tests.factories import make_admin, make_claimant

from .flows import code, redeem
from .proofs import ClientKey


def test_the_cli_registers_a_client_that_requires_dpop(runner, ctx):
    result = runner.invoke(
        args=[
            "register-client",
            "--name",
            "Eastside case system",
            "--organisation",
            "Eastside Advice",
            "--redirect-uri",
            "https://case.example/callback",
            "--scope",
            "mr:read",
            "--scope",
            "journal:read",
            "--require-dpop",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "DPoP required" in result.output
    client_id = re.search(r"client_id:\s+(\S+)", result.output).group(1)
    assert db.session.get(OAuthClient, client_id).require_dpop is True


def test_an_admin_ticks_require_dpop_and_the_list_shows_it(app, ctx):
    browser = app.test_client()
    sign_in(browser, make_admin())
    form = browser.get("/admin/clients/new")
    assert 'name="require_dpop"' in form.text

    created = browser.post(
        "/admin/clients/new",
        data={
            "csrf_token": csrf_from(form.text),
            "name": "Riverside case system",
            "organisation": "Riverside Law Centre",
            "redirect_uris": "https://case.example/callback",
            "scopes": ["mr:read", "journal:read"],
            "grant_types": ["authorization_code", "refresh_token"],
            "auth_method": "client_secret_basic",
            "require_dpop": "y",
        },
    )

    assert created.status_code == 201, created.text
    assert "DPoP-bound only" in created.text
    row = db.session.scalars(db.select(OAuthClient)).one()
    assert row.require_dpop is True
    assert "DPoP required" in browser.get("/admin/").text


def test_the_admin_form_without_csrf_registers_nothing(app, ctx):
    browser = app.test_client()
    sign_in(browser, make_admin())

    response = browser.post(
        "/admin/clients/new",
        data={"name": "Sneaky", "organisation": "X", "require_dpop": "y", "auth_method": "none"},
    )

    assert response.status_code == 400
    assert db.session.scalars(db.select(OAuthClient)).all() == []


def test_a_client_that_requires_dpop_is_refused_tokens_without_a_proof(runner, app, ctx):
    claimant = make_claimant("Alex Morgan")
    db.session.commit()
    result = runner.invoke(
        args=[
            "register-client",
            "--name",
            "Eastside phone app",
            "--organisation",
            "Eastside Advice",
            "--redirect-uri",
            "https://case.example/callback",
            "--scope",
            "mr:read",
            "--scope",
            "journal:read",
            "--public",
            "--require-dpop",
        ]
    )
    client_id = re.search(r"client_id:\s+(\S+)", result.output).group(1)
    username = claimant.account.username

    refused = redeem(app, client_id, None, code(app, username, client_id), None)
    bound = redeem(app, client_id, None, code(app, username, client_id), ClientKey())

    assert refused.status_code == 400
    assert refused.json["error"] == "invalid_dpop_proof"
    assert "access_token" not in refused.json
    assert bound.status_code == 200, bound.text
    assert bound.json["token_type"] == "DPoP"
