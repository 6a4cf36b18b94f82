"""Clients are registered by the CLI or by an admin: the secret is shown once and stored only as
its hash; redirect URIs are exact and https (or loopback http); only admins see the pages."""

from __future__ import annotations

import hashlib
import re

from broker.consent import clients
from broker.extensions import db
from broker.models import OAuthClient
from tests.conftest import csrf_from, sign_in
from tests.factories import make_admin, make_claimant


def test_the_cli_prints_the_secret_once_and_stores_only_its_hash(runner, ctx):
    result = runner.invoke(
        args=[
            "register-client",
            "--name",
            "Northside case system",
            "--organisation",
            "Northside Citizens Advice",
            "--redirect-uri",
            "https://cases.northside.example/oauth/callback",
            "--scope",
            "mr:read",
            "--scope",
            "journal:read",
        ]
    )

    assert result.exit_code == 0, result.output
    client_id = re.search(r"client_id:\s+(\S+)", result.output).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", result.output).group(1)
    row = db.session.get(OAuthClient, client_id)
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.secret_hash, row.name, row.redirect_uris)
    assert row.redirect_uris == "https://cases.northside.example/oauth/callback"
    assert (row.grant_types, row.allowed_scopes) == (
        "authorization_code refresh_token",
        "mr:read journal:read",
    )
    assert clients.check_secret(row, secret) and not clients.check_secret(row, secret + "x")


def test_the_cli_registers_a_public_device_client_without_a_secret(runner, ctx):
    result = runner.invoke(
        args=[
            "register-client",
            "--name",
            "Desk screen",
            "--organisation",
            "Riverside Law Centre",
            "--scope",
            "mr:read",
            "--grant-type",
            "device",
            "--public",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "client_secret" not in result.output
    row = db.session.scalars(db.select(OAuthClient)).one()
    assert (row.secret_hash, row.token_endpoint_auth_method) == (None, "none")


def test_the_cli_refuses_plain_http_redirects_and_unknown_scopes(runner, ctx):
    http = runner.invoke(
        args=[
            "register-client",
            "--name",
            "X",
            "--organisation",
            "Y",
            "--redirect-uri",
            "http://cases.example/cb",
            "--scope",
            "mr:read",
        ]
    )
    scope = runner.invoke(
        args=[
            "register-client",
            "--name",
            "X",
            "--organisation",
            "Y",
            "--redirect-uri",
            "https://cases.example/cb",
            "--scope",
            "everything",
        ]
    )

    assert http.exit_code != 0 and "must use https" in http.output
    assert scope.exit_code != 0 and "Unknown scopes: everything" in scope.output
    assert db.session.scalars(db.select(OAuthClient)).all() == []


def test_an_admin_registers_a_client_and_sees_the_secret_once(app, ctx):
    browser = app.test_client()
    sign_in(browser, make_admin())
    form = browser.get("/admin/clients/new")

    created = browser.post(
        "/admin/clients/new",
        data={
            "csrf_token": csrf_from(form.text),
            "name": "Riverside case system",
            "organisation": "Riverside Law Centre",
            "redirect_uris": "https://cases.riverside.example/cb\nhttp://127.0.0.1:8765/callback",
            "scopes": ["mr:read", "mr:request"],
            "grant_types": ["authorization_code", "refresh_token"],
            "auth_method": "client_secret_basic",
        },
    )

    assert created.status_code == 201
    secret = re.search(r'id="client-secret">([^<]+)<', created.text).group(1)
    row = db.session.scalars(db.select(OAuthClient)).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert clients.redirect_uris(row) == [
        "https://cases.riverside.example/cb",
        "http://127.0.0.1:8765/callback",
    ]
    listing = browser.get("/admin/")
    assert listing.status_code == 200
    assert row.id in listing.text and secret not in listing.text
    assert secret not in created.headers.get("Set-Cookie", "")  # never kept in a cookie


def test_the_admin_form_refuses_a_wildcard_redirect(app, ctx):
    browser = app.test_client()
    sign_in(browser, make_admin())
    form = browser.get("/admin/clients/new")

    refused = browser.post(
        "/admin/clients/new",
        data={
            "csrf_token": csrf_from(form.text),
            "name": "Sloppy system",
            "organisation": "Somewhere",
            "redirect_uris": "https://*.example/cb",
            "scopes": ["mr:read"],
            "grant_types": ["authorization_code"],
            "auth_method": "client_secret_basic",
        },
    )

    assert refused.status_code == 400
    assert "must not contain wildcards" in refused.text
    assert db.session.scalars(db.select(OAuthClient)).all() == []


def test_only_admins_reach_the_admin_pages(app, ctx):
    claimant = make_claimant()
    anonymous, signed_in = app.test_client(), app.test_client()
    sign_in(signed_in, claimant.account.username)

    assert anonymous.get("/admin/").status_code == 303  # to sign in
    assert signed_in.get("/admin/").status_code == 403
    assert signed_in.get("/admin/clients/new").status_code == 403


def test_the_demo_seeds_an_admin_the_console_client_and_a_case_system(runner, ctx):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert "robin@broker.example" in result.output
    demo_client = clients.active("northside-case-system")
    assert clients.check_secret(demo_client, "demo-client-secret")
    assert clients.active("adviser-console").token_endpoint_auth_method == "client_secret_basic"
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # twice is fine
