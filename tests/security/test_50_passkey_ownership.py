"""Attack 50: one account cannot remove (or even see) another's passkey; turning password
sign-in off really stops a right password; nobody locks themselves out; every change needs CSRF."""

from __future__ import annotations

import pytest
from flask import Flask

from broker.extensions import db
from broker.models import Passkey
from tests.conftest import csrf_from, sign_in
from tests.factories import PASSWORD, make_adviser, make_claimant
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import ORIGIN, RP_ID, add_passkey


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)


def _signed_in_with_passkey(app: Flask, account_holder, device):  # noqa: ANN001, ANN202
    client = app.test_client()
    sign_in(client, account_holder.account.username)
    assert add_passkey(client, device).status_code == 200
    return client


def test_another_accounts_passkey_cannot_be_removed(app: Flask, ctx, device):
    _signed_in_with_passkey(app, make_claimant("Owner"), device)
    theirs = db.session.scalar(db.select(Passkey.id))
    intruder = app.test_client()
    sign_in(intruder, make_adviser().account.username)
    assert intruder.get(f"/account/passkeys/{theirs}/remove").status_code == 404
    csrf = csrf_from(intruder.get("/account/sign-in").text)
    posted = intruder.post(f"/account/passkeys/{theirs}/remove", data={"csrf_token": csrf})
    assert posted.status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(Passkey)) == 1


def test_with_password_sign_in_off_a_right_password_does_not_sign_in(app: Flask, ctx, device):
    claimant = make_claimant()
    client = _signed_in_with_passkey(app, claimant, device)
    csrf = csrf_from(client.get("/account/sign-in").text)
    assert (
        client.post("/account/passwords", data={"csrf_token": csrf, "turn": "off"}).status_code
        == 303
    )
    assert "Password sign-in is off" in client.get("/account/sign-in").text
    other = app.test_client()
    page = other.get("/sign-in")
    refused = other.post(
        "/sign-in",
        data={
            "username": claimant.account.username,
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert refused.status_code == 400
    assert "This account does not use a password to sign in. Use a passkey" in refused.text
    assert other.get("/account/sign-in").status_code == 303


def test_the_last_passkey_cannot_be_removed_while_passwords_are_off(app: Flask, ctx, device):
    client = _signed_in_with_passkey(app, make_claimant(), device)
    csrf = csrf_from(client.get("/account/sign-in").text)
    client.post("/account/passwords", data={"csrf_token": csrf, "turn": "off"})
    passkey_id = db.session.scalar(db.select(Passkey.id))
    refused = client.post(f"/account/passkeys/{passkey_id}/remove", data={"csrf_token": csrf})
    assert refused.status_code == 400
    assert "You cannot remove your last passkey while password sign-in is off" in refused.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Passkey)) == 1


def test_password_sign_in_cannot_be_turned_off_without_a_passkey(app: Flask, ctx):
    client = app.test_client()
    sign_in(client, make_claimant().account.username)
    csrf = csrf_from(client.get("/account/sign-in").text)
    assert (
        client.post("/account/passwords", data={"csrf_token": csrf, "turn": "off"}).status_code
        == 400
    )


def test_passkey_changes_need_the_csrf_token(app: Flask, ctx, device):
    client = _signed_in_with_passkey(app, make_claimant(), device)
    passkey_id = db.session.scalar(db.select(Passkey.id))
    assert client.post(f"/account/passkeys/{passkey_id}/remove", data={}).status_code == 400
    assert client.post("/account/passwords", data={"turn": "off"}).status_code == 400
    assert client.post("/account/passkeys/options").status_code == 400
    assert client.post("/account/passkeys", json={"credential": {}, "name": "x"}).status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Passkey)) == 1
