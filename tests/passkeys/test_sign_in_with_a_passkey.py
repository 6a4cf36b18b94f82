"""Someone adds a passkey after signing in, then signs in with it and no password."""

from __future__ import annotations

from flask import Flask

from broker.chain import audit
from broker.extensions import db
from broker.models import AccountEvent, AuditEvent, Passkey
from tests.conftest import sign_in
from tests.factories import make_adviser, make_claimant

from .conftest import add_passkey, passkey_options, post_assertion


def test_a_claimant_adds_a_passkey_and_signs_in_with_it_alone(app: Flask, ctx, device):
    claimant = make_claimant()
    client = app.test_client()
    sign_in(client, claimant.account.username)
    added = add_passkey(client, device, name="My phone")
    assert added.status_code == 200, added.text
    page = client.get("/account/sign-in").text
    assert "My phone" in page and "Not used yet" in page

    fresh = app.test_client()
    csrf, options = passkey_options(fresh)
    assert options["userVerification"] == "required"
    assert "allowCredentials" not in options or options["allowCredentials"] == []
    answer = post_assertion(fresh, csrf, device.get(options), next_url="/history")
    assert answer.status_code == 200, answer.text
    assert answer.get_json()["next"] == "/history"
    assert "Your sign-in history" in fresh.get("/history").text
    assert "Last used" in fresh.get("/account/sign-in").text

    actions = [
        e.action
        for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.claimant_id == claimant.id)
        )
    ]
    assert "passkey.added" in actions and "passkey.used" in actions
    with db.engine.connect() as connection:
        assert list(audit.verify(connection)) == []  # the chain still holds


def test_an_adviser_signs_in_with_a_passkey_and_sees_it_in_their_history(app: Flask, ctx, device):
    adviser = make_adviser()
    client = app.test_client()
    sign_in(client, adviser.account.username)
    assert add_passkey(client, device).status_code == 200
    fresh = app.test_client()
    csrf, options = passkey_options(fresh)
    answer = post_assertion(fresh, csrf, device.get(options))
    assert answer.get_json()["next"] == "/adviser/"
    history = fresh.get("/account/history").text
    assert "Signed in with a passkey" in history and "Passkey added" in history
    assert db.session.scalar(db.select(db.func.count()).select_from(AccountEvent)) == 2
    assert db.session.scalar(db.select(Passkey.sign_count)) == 1


def test_the_sign_in_page_offers_a_passkey_first_and_keeps_the_password_form(client):
    page = client.get("/sign-in").text
    assert page.index("Use a passkey") < page.index('name="password"')
    assert "/static/js/passkeys." in page


def test_a_passkey_sign_in_goes_nowhere_but_the_broker(app: Flask, ctx, device):
    claimant = make_claimant()
    client = app.test_client()
    sign_in(client, claimant.account.username)
    assert add_passkey(client, device).status_code == 200
    fresh = app.test_client()
    csrf, options = passkey_options(fresh)
    answer = post_assertion(fresh, csrf, device.get(options), next_url="https://evil.example/")
    assert answer.get_json()["next"] == "/"
