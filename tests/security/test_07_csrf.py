"""security.md 7: CSRF on sign-in, consent and revoke. Every form carries a session-bound token;
a POST without it is a 400 and changes nothing; consent needs an explicit approve."""

from __future__ import annotations

from broker.consent import clients
from broker.extensions import db
from broker.models import AuthorizationCode, DeviceAuthorization, Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import PASSWORD, make_adviser, make_grant
from tests.oauth.helpers import authorize_query, make_client, pkce_pair, start_device


def test_sign_in_without_the_token_is_refused(app, case):
    browser = app.test_client()

    response = browser.post("/sign-in", data={"username": case.username, "password": PASSWORD})

    assert response.status_code == 400
    assert browser.get("/").status_code == 303  # still signed out: sent to sign in


def test_consent_without_the_token_gives_nothing(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    _verifier, challenge = pkce_pair()
    url = authorize_query(case.client_id, challenge)

    forged = browser.post(url, data={"decision": "approve", "scopes": ["mr:read"], "months": "3"})
    wrong = browser.post(
        url,
        data={
            "decision": "approve",
            "scopes": ["mr:read"],
            "months": "3",
            "csrf_token": "forged-token",
        },
    )

    assert forged.status_code == wrong.status_code == 400
    assert "Location" not in forged.headers
    assert db.session.scalars(db.select(Grant)).all() == []
    assert db.session.scalars(db.select(AuthorizationCode)).all() == []


def test_consent_needs_an_explicit_approve(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    _verifier, challenge = pkce_pair()
    url = authorize_query(case.client_id, challenge)
    page = browser.get(url + "&decision=approve")  # a GET never answers

    no_decision = browser.post(
        url, data={"csrf_token": csrf_from(page.text), "scopes": ["mr:read"], "months": "3"}
    )

    assert page.status_code == 200
    assert no_decision.status_code == 400
    assert db.session.scalars(db.select(Grant)).all() == []


def test_answering_a_device_request_without_the_token_gives_nothing(app, case):
    device_client, _ = make_client(
        name="Desk", redirect_uris=(), auth_method="none", grant_types=(clients.DEVICE_GRANT,)
    )
    user_code = start_device(app.test_client(), device_client.id).json["user_code"]
    browser = app.test_client()
    sign_in(browser, case.username)

    response = browser.post(
        "/device",
        data={"user_code": user_code, "decision": "approve", "scopes": ["mr:read"], "months": "3"},
    )

    assert response.status_code == 400
    assert db.session.scalars(db.select(DeviceAuthorization)).one().status == "pending"
    assert db.session.scalars(db.select(Grant)).all() == []


def test_revoking_without_the_token_leaves_the_grant_active(app, case):
    grant = make_grant(case.claimant, make_adviser())
    browser = app.test_client()
    sign_in(browser, case.username)

    response = browser.post(f"/access/{grant.id}/revoke")

    assert response.status_code == 400
    db.session.rollback()
    assert db.session.get(Grant, grant.id).status == "active"
