"""A case system that proves possession of its key gets tokens bound to that key (RFC 9449):
token_type DPoP, `cnf.jkt` in the access token, and the API answers it with a proof."""

from __future__ import annotations

import jwt
import pytest

from tests.oauth.helpers import basic, code_flow

from .flows import NONCE, code, code_form, decision_url, dpop_tokens, nonce_for, refresh
from .proofs import ISSUER, TOKEN_URL, ClientKey, api_headers


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_the_token_is_bound_to_the_key_that_made_the_proof(app, case, alg):
    key = ClientKey(alg)

    tokens = dpop_tokens(app, case, key)

    assert tokens["token_type"] == "DPoP"
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": key.jkt}


def test_the_token_endpoint_asks_for_a_nonce_first_and_sends_one_with_every_answer(app, case):
    key = ClientKey()
    form, auth = code_form(case.client_id, case.secret, code(app, case.username, case.client_id))
    api = app.test_client()

    first = api.post(
        "/oauth/token", data=form, headers={**auth, "DPoP": key.proof("POST", TOKEN_URL)}
    )
    nonce = first.headers[NONCE]
    second = api.post(
        "/oauth/token",
        data=form,
        headers={**auth, "DPoP": key.proof("POST", TOKEN_URL, nonce=nonce)},
    )

    assert first.status_code == 400
    assert first.json["error"] == "use_dpop_nonce"
    assert second.status_code == 200, second.text
    assert second.json["token_type"] == "DPoP"
    assert second.headers[NONCE]


def test_the_api_answers_a_bound_token_sent_with_a_proof(app, case):
    key = ClientKey()
    token = dpop_tokens(app, case, key)["access_token"]
    api = app.test_client()
    nonce = nonce_for(api, case, key, token)

    response = api.get(
        decision_url(case), headers=api_headers(key, token, "GET", decision_url(case), nonce)
    )

    assert response.status_code == 200, response.text
    assert "Limited capability" in response.text
    assert response.headers[NONCE]


def test_the_api_asks_for_a_nonce_with_a_dpop_challenge(app, case):
    key = ClientKey()
    token = dpop_tokens(app, case, key)["access_token"]

    response = app.test_client().get(
        decision_url(case), headers=api_headers(key, token, "GET", decision_url(case), None)
    )

    assert response.status_code == 401
    assert response.json["error"] == "use_dpop_nonce"
    assert response.headers["WWW-Authenticate"].startswith('DPoP error="use_dpop_nonce"')
    assert 'algs="ES256 EdDSA RS256"' in response.headers["WWW-Authenticate"]
    assert response.headers[NONCE]


def test_a_public_clients_refresh_with_the_same_key_gets_new_bound_tokens(app, case):
    key = ClientKey()
    tokens = dpop_tokens(app, case, key, public=True)

    renewed = refresh(app, case.public_id, None, tokens["refresh_token"], key)

    assert renewed.status_code == 200, renewed.text
    assert renewed.json["token_type"] == "DPoP"
    claims = jwt.decode(renewed.json["access_token"], options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": key.jkt}


def test_introspection_shows_the_key_the_token_is_bound_to(app, case):
    key = ClientKey()
    token = dpop_tokens(app, case, key)["access_token"]

    answer = app.test_client().post(
        "/oauth/introspect", data={"token": token}, headers=basic(case.client_id, case.secret)
    )

    assert answer.json["active"] is True
    assert answer.json["token_type"] == "DPoP"
    assert answer.json["cnf"] == {"jkt": key.jkt}


def test_the_metadata_names_the_proof_algorithms(app, ctx):
    metadata = app.test_client().get("/.well-known/oauth-authorization-server").json

    assert metadata["dpop_signing_alg_values_supported"] == ["ES256", "EdDSA", "RS256"]
    assert metadata["issuer"] == ISSUER


def test_a_bearer_client_still_gets_bearer_tokens(app, case):
    tokens = code_flow(app, case.username, case.client_id, case.secret)

    assert tokens["token_type"] == "Bearer"
    assert "cnf" not in jwt.decode(tokens["access_token"], options={"verify_signature": False})


def test_a_dpop_request_for_something_not_there_still_gets_a_new_nonce(app, case):
    key = ClientKey()
    token = dpop_tokens(app, case, key)["access_token"]
    api = app.test_client()
    nonce = nonce_for(api, case, key, token)
    missing = f"{ISSUER}/api/v1/mr-decisions/00000000-0000-4000-8000-000000000000"

    response = api.get(missing, headers=api_headers(key, token, "GET", missing, nonce))

    assert response.status_code == 404
    assert response.headers[NONCE]
