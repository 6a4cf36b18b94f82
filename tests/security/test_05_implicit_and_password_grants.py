"""security.md 5: implicit and password grants are not registered at all."""

from __future__ import annotations

from broker.extensions import db
from broker.models import AccessToken, Grant
from tests.conftest import sign_in
from tests.oauth.helpers import authorize_query, basic, pkce_pair, query_of


def test_response_type_token_is_unsupported(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    _verifier, challenge = pkce_pair()

    response = browser.get(authorize_query(case.client_id, challenge, response_type="token"))

    answer = query_of(response.headers["Location"])
    assert answer["error"] == "unsupported_response_type"
    assert answer["iss"] == "http://broker.test"
    assert "access_token" not in response.headers["Location"]
    assert db.session.scalars(db.select(Grant)).all() == []


def test_password_and_client_credentials_grants_are_unsupported(app, case):
    api = app.test_client()
    password = api.post(
        "/oauth/token",
        headers=basic(case.client_id, case.secret),
        data={
            "grant_type": "password",
            "username": case.username,
            "password": "pw-for-tests",
            "scope": "mr:read",
        },
    )
    client_credentials = api.post(
        "/oauth/token",
        headers=basic(case.client_id, case.secret),
        data={"grant_type": "client_credentials", "scope": "mr:read"},
    )

    assert password.status_code == client_credentials.status_code == 400
    assert password.json["error"] == client_credentials.json["error"] == "unsupported_grant_type"
    assert db.session.scalars(db.select(AccessToken)).all() == []
    metadata = api.get("/.well-known/oauth-authorization-server").json
    assert "password" not in metadata["grant_types_supported"]
    assert "token" not in metadata["response_types_supported"]
