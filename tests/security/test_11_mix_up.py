"""security.md 11: mix-up. Every authorization response, success or error, names the issuer
(RFC 9207), and it is the issuer of the metadata and of the tokens."""

from __future__ import annotations

import jwt

from tests.conftest import sign_in
from tests.oauth.helpers import approve_code, authorize_query, consent, pkce_pair, query_of, redeem

ISSUER = "http://broker.test"


def test_iss_is_on_the_code_and_on_every_error_redirect(app, case):
    verifier, challenge = pkce_pair()
    approved = approve_code(
        app.test_client(), case.username, authorize_query(case.client_id, challenge)
    )
    browser = app.test_client()
    sign_in(browser, case.username)
    _v, challenge2 = pkce_pair()
    refused = consent(browser, authorize_query(case.client_id, challenge2), decision="refuse")
    errors = [
        browser.get(authorize_query(case.client_id, None, method=None)),  # invalid_request
        browser.get(authorize_query(case.client_id, challenge2, scope="journal:sensitive")),
        browser.get(authorize_query(case.client_id, challenge2, response_type="token")),
        browser.get(authorize_query(case.client_id, challenge2, authorization_details="[]")),
    ]

    assert query_of(approved)["iss"] == ISSUER
    assert query_of(refused.headers["Location"]) == {
        "error": "access_denied",
        "iss": ISSUER,
        "state": "state-123",
        "error_description": query_of(refused.headers["Location"])["error_description"],
    }
    assert [query_of(e.headers["Location"])["error"] for e in errors] == [
        "invalid_request",
        "invalid_scope",
        "unsupported_response_type",
        "invalid_authorization_details",
    ]
    assert all(query_of(e.headers["Location"])["iss"] == ISSUER for e in errors)
    metadata = app.test_client().get("/.well-known/oauth-authorization-server").json
    assert metadata["issuer"] == ISSUER
    assert metadata["authorization_response_iss_parameter_supported"] is True
    token = redeem(
        app.test_client(), case.client_id, case.secret, query_of(approved)["code"], verifier
    ).json["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == ISSUER
