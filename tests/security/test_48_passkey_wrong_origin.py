"""Attack 48: a passkey answer made for another site (a phishing page's origin, or another RP
ID) is refused, at registration and at sign-in, and the refusal is in the owner's history."""

from __future__ import annotations

import pytest
from flask import Flask

from broker.extensions import db
from broker.models import AuditEvent, Passkey
from tests.conftest import csrf_from, sign_in
from tests.factories import make_claimant
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import ORIGIN, RP_ID, add_passkey, passkey_options, post_assertion


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)


def test_a_registration_made_on_another_origin_is_refused(app: Flask, ctx, device):
    claimant = make_claimant()
    client = app.test_client()
    sign_in(client, claimant.account.username)
    answer = add_passkey(client, device, origin="https://broker.test.evil.example")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "That did not work. Try again"
    assert db.session.scalar(db.select(db.func.count()).select_from(Passkey)) == 0


def test_a_sign_in_answer_made_on_a_phishing_origin_is_refused(app: Flask, ctx, device):
    claimant = make_claimant()
    client = app.test_client()
    sign_in(client, claimant.account.username)
    assert add_passkey(client, device).status_code == 200

    stranger = app.test_client()
    csrf, options = passkey_options(stranger)
    phished = device.get(options, origin="http://broker.test.evil.example")
    answer = post_assertion(stranger, csrf, phished)
    assert answer.status_code == 400
    assert (
        answer.get_json()["error"] == "That passkey did not work. Try again, or use your password"
    )
    assert stranger.get("/account/sign-in").status_code == 303  # not signed in
    refused = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "passkey.refused")
    ).all()
    assert [(e.claimant_id, e.outcome) for e in refused] == [(claimant.id, "refused")]
    assert "A passkey sign-in was refused" in client.get("/account/history").text


def test_an_answer_for_another_rp_id_is_refused(app: Flask, ctx):
    claimant = make_claimant()
    client = app.test_client()
    sign_in(client, claimant.account.username)
    other_site = SoftAuthenticator(origin=ORIGIN, rp_id="evil.example")
    assert add_passkey(client, other_site).status_code == 400


def test_malformed_registrations_are_refused_and_odd_transports_ignored(app: Flask, ctx):
    claimant = make_claimant()
    client = app.test_client()
    sign_in(client, claimant.account.username)
    csrf = csrf_from(client.get("/account/sign-in").text)
    for mangle in (
        lambda c: c.update(response=[]),
        lambda c: c["response"].update(attestationObject="AAAA"),
        lambda c: c["response"].update(clientDataJSON="e30"),
    ):
        options = client.post("/account/passkeys/options", headers={"X-CSRFToken": csrf}).get_json()
        credential = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID).create(options)
        mangle(credential)
        answer = client.post(
            "/account/passkeys",
            json={"credential": credential, "name": "x"},
            headers={"X-CSRFToken": csrf},
        )
        assert answer.status_code == 400
    options = client.post("/account/passkeys/options", headers={"X-CSRFToken": csrf}).get_json()
    credential = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID).create(options)
    credential["response"]["transports"] = [["usb"], 5, "internal", "carrier-pigeon"]
    answer = client.post(
        "/account/passkeys",
        json={"credential": credential, "name": "Odd\u0007 name "},
        headers={"X-CSRFToken": csrf},
    )
    assert answer.status_code == 200
    passkey = db.session.scalar(db.select(Passkey))
    assert (passkey.transports, passkey.name) == ("internal", "Odd name")
