"""security.md 3: code injection. PKCE with S256 is required of every client, confidential ones
too: a missing challenge, `plain`, or an omitted method is invalid_request (told to the client,
with `iss`); a wrong verifier is invalid_grant and issues nothing."""

from __future__ import annotations

import pytest

from broker.extensions import db
from broker.models import AccessToken, AuthorizationCode, Grant
from tests.conftest import sign_in
from tests.oauth.helpers import approve_code, authorize_query, pkce_pair, query_of, redeem

from .conftest import audit_trail


@pytest.mark.parametrize(
    "challenge, method",
    [
        (None, None),  # no PKCE at all
        (None, "S256"),  # a method without a challenge
        ("plain-challenge-" + "x" * 40, "plain"),  # the plain method
        ("A" * 43, None),  # the method omitted (it would default to plain)
    ],
)
def test_an_authorization_request_without_s256_pkce_is_refused(app, case, challenge, method):
    browser = app.test_client()
    sign_in(browser, case.username)

    response = browser.get(authorize_query(case.client_id, challenge, method=method))

    assert response.status_code == 302  # told to the client, whose redirect URI is known
    answer = query_of(response.headers["Location"])
    assert answer["error"] == "invalid_request"
    assert answer["state"] == "state-123"
    assert answer["iss"] == "http://broker.test"
    assert "code" not in answer
    assert db.session.scalars(db.select(Grant)).all() == []


def test_a_confidential_client_with_a_wrong_verifier_gets_invalid_grant(app, case):
    _verifier, challenge = pkce_pair()
    location = approve_code(
        app.test_client(), case.username, authorize_query(case.client_id, challenge)
    )
    code = query_of(location)["code"]
    stolen_verifier, _other_challenge = pkce_pair()

    response = redeem(app.test_client(), case.client_id, case.secret, code, stolen_verifier)

    assert response.status_code == 400
    assert response.json["error"] == "invalid_grant"
    assert db.session.scalars(db.select(AccessToken)).all() == []
    assert db.session.scalars(db.select(AuthorizationCode)).one().used_at is None
    assert [a for a, _o, _t in audit_trail(case.claimant_id)] == ["grant.create"]


def test_a_confidential_client_without_a_verifier_gets_invalid_request(app, case):
    verifier, challenge = pkce_pair()
    location = approve_code(
        app.test_client(), case.username, authorize_query(case.client_id, challenge)
    )
    code = query_of(location)["code"]

    missing = redeem(app.test_client(), case.client_id, case.secret, code, None)
    genuine = redeem(app.test_client(), case.client_id, case.secret, code, verifier)

    assert missing.status_code == 400
    assert missing.json["error"] == "invalid_request"
    assert genuine.status_code == 200  # the refusal burned nothing
