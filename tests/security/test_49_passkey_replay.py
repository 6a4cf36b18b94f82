"""Attack 49: a captured passkey answer cannot be used again (its challenge is single-use),
nor after its challenge has expired, nor without user verification, nor from a cloned
authenticator whose sign count goes backwards."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from broker.extensions import db
from broker.models import Passkey, PasskeyChallenge
from broker.people.passkeys import CHALLENGE_LIMIT
from tests.conftest import sign_in
from tests.factories import make_claimant
from tests.passkeys.authenticator import UP, SoftAuthenticator
from tests.passkeys.conftest import (
    ORIGIN,
    RP_ID,
    add_passkey,
    passkey_options,
    post_assertion,
    token,
)


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)


def _claimant_with_passkey(app: Flask, device) -> object:  # noqa: ANN001
    claimant = make_claimant()
    client = app.test_client()
    sign_in(client, claimant.account.username)
    assert add_passkey(client, device).status_code == 200
    return client


def test_a_replayed_assertion_is_refused(app: Flask, ctx, device):
    _claimant_with_passkey(app, device)
    first = app.test_client()
    csrf, options = passkey_options(first)
    captured = device.get(options)
    assert post_assertion(first, csrf, captured).status_code == 200
    attacker = app.test_client()
    csrf, _ = passkey_options(attacker)
    again = post_assertion(attacker, csrf, captured)
    assert again.status_code == 400
    assert attacker.get("/account/sign-in").status_code == 303


def test_an_expired_challenge_is_refused(app: Flask, ctx, device, frozen_clock):
    _claimant_with_passkey(app, device)
    client = app.test_client()
    csrf, options = passkey_options(client)
    frozen_clock.advance(minutes=5, seconds=1)
    assert post_assertion(client, csrf, device.get(options)).status_code == 400


def test_a_challenge_never_issued_is_refused(app: Flask, ctx, device):
    _claimant_with_passkey(app, device)
    client = app.test_client()
    csrf, _ = passkey_options(client)
    made_up = {"challenge": "bm90LWlzc3VlZC1ieS10aGUtYnJva2Vy"}
    assert post_assertion(client, csrf, device.get(made_up)).status_code == 400


def test_an_assertion_without_user_verification_is_refused(app: Flask, ctx, device):
    _claimant_with_passkey(app, device)
    client = app.test_client()
    csrf, options = passkey_options(client)
    assert post_assertion(client, csrf, device.get(options, flags=UP)).status_code == 400


def test_a_sign_count_going_backwards_is_refused_as_a_clone(app: Flask, ctx, device):
    owner = _claimant_with_passkey(app, device)
    client = app.test_client()
    csrf, options = passkey_options(client)
    assert post_assertion(client, csrf, device.get(options, sign_count=7)).status_code == 200
    clone = app.test_client()
    csrf, options = passkey_options(clone)
    assert post_assertion(clone, csrf, device.get(options, sign_count=3)).status_code == 400
    assert db.session.scalar(db.select(Passkey.sign_count)) == 7
    assert "A passkey sign-in was refused" in owner.get("/account/history").text


def test_failed_passkey_sign_ins_are_limited_per_address(app: Flask, ctx, device):
    _claimant_with_passkey(app, device)
    client = app.test_client()
    for _ in range(20):
        csrf, options = passkey_options(client)
        assert post_assertion(client, csrf, device.get(options, flags=UP)).status_code == 400
    csrf, options = passkey_options(client)
    limited = post_assertion(client, csrf, device.get(options))
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


def test_one_address_cannot_fill_the_challenge_table(app: Flask, ctx):
    client = app.test_client()
    csrf, _ = passkey_options(client)
    ask = lambda: client.post("/sign-in/passkey/options", headers={"X-CSRFToken": csrf})  # noqa: E731
    for _ in range(CHALLENGE_LIMIT - 1):
        assert ask().status_code == 200
    before = db.session.scalar(select(func.count()).select_from(PasskeyChallenge))
    refused = ask()
    assert refused.status_code == 429
    assert refused.get_json() == {"error": "Too many tries. Wait, then try again"}
    assert int(refused.headers["Retry-After"]) > 0
    assert db.session.scalar(select(func.count()).select_from(PasskeyChallenge)) == before
    # Another address is not held up by this one.
    elsewhere = app.test_client()
    answer = elsewhere.post(
        "/sign-in/passkey/options",
        headers={"X-CSRFToken": token(elsewhere, "/sign-in")},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert answer.status_code == 200


def test_malformed_answers_are_refused_without_an_error(app: Flask, ctx, device):
    _claimant_with_passkey(app, device)
    client = app.test_client()
    for mangle in (
        lambda c: c.update(response="x"),
        lambda c: c["response"].update(clientDataJSON=5),
        lambda c: c["response"].update(userHandle=5),
        lambda c: c["response"].update(userHandle="not base64!"),
        lambda c: c["response"].update(signature="AAAA"),
        lambda c: c["response"].update(authenticatorData="AAAA"),
        lambda c: c.update(rawId=["x"]),
    ):
        csrf, options = passkey_options(client)
        credential = device.get(options)
        mangle(credential)
        assert post_assertion(client, csrf, credential).status_code == 400
    for body in ("[]", '{"credential": 5}', '{"credential": {}}', "not json"):
        csrf, _ = passkey_options(client)
        answer = client.post(
            "/sign-in/passkey",
            data=body,
            headers={"X-CSRFToken": csrf, "Content-Type": "application/json"},
        )
        assert answer.status_code == 400
