"""The DPoP token requests a case system makes: proof, nonce retry, and the API call."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.oauth.helpers import approve_code, authorize_query, basic, pkce_pair, query_of

from .proofs import ISSUER, TOKEN_URL, ClientKey

NONCE = "DPoP-Nonce"


def token_request(
    api: FlaskClient, form: dict[str, str], key: ClientKey | None, *, auth: dict[str, str]
) -> Any:
    """POST to the token endpoint with a proof; once more with the server's nonce if it asks
    for one (RFC 9449 8), as a client would."""
    if key is None:
        return api.post("/oauth/token", data=form, headers=auth)
    response = api.post(
        "/oauth/token", data=form, headers={**auth, "DPoP": key.proof("POST", TOKEN_URL)}
    )
    if response.status_code == 400 and response.json["error"] == "use_dpop_nonce":
        nonce = response.headers[NONCE]
        response = api.post(
            "/oauth/token",
            data=form,
            headers={**auth, "DPoP": key.proof("POST", TOKEN_URL, nonce=nonce)},
        )
    return response


def client_auth(client_id: str, secret: str | None, form: dict[str, str]) -> dict[str, str]:
    if secret:
        return basic(client_id, secret)
    form["client_id"] = client_id
    return {}


def code(
    app: Any, username: str, client_id: str, *, dpop_jkt: str | None = None
) -> tuple[str, str]:
    """The claimant approves; the code and its PKCE verifier."""
    verifier, challenge = pkce_pair()
    url = authorize_query(client_id, challenge)
    if dpop_jkt:
        url += f"&dpop_jkt={dpop_jkt}"
    location = approve_code(app.test_client(), username, url)
    return query_of(location)["code"], verifier


def redeem(
    app: Any,
    client_id: str,
    secret: str | None,
    code_and_verifier: tuple[str, str],
    key: ClientKey | None,
) -> Any:
    form, auth = code_form(client_id, secret, code_and_verifier)
    return token_request(app.test_client(), form, key, auth=auth)


def code_form(
    client_id: str, secret: str | None, code_and_verifier: tuple[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The token request's form for a code, and the client's authentication headers."""
    code_value, verifier = code_and_verifier
    form = {
        "grant_type": "authorization_code",
        "code": code_value,
        "redirect_uri": "https://case.example/callback",
        "code_verifier": verifier,
    }
    return form, client_auth(client_id, secret, form)


def dpop_tokens(app: Any, case: Any, key: ClientKey, *, public: bool = False) -> dict[str, Any]:
    """A whole code flow with DPoP; the token response."""
    client_id, secret = (case.public_id, None) if public else (case.client_id, case.secret)
    response = redeem(app, client_id, secret, code(app, case.username, client_id), key)
    assert response.status_code == 200, response.text
    return response.json


def refresh(
    app: Any, client_id: str, secret: str | None, refresh_token: str, key: ClientKey | None
) -> Any:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return token_request(app.test_client(), form, key, auth=client_auth(client_id, secret, form))


def decision_url(case: Any) -> str:
    return f"{ISSUER}/api/v1/mr-decisions/{case.decision_id}"


def nonce_for(api: FlaskClient, case: Any, key: ClientKey, token: str) -> str:
    """The API's nonce: the first call without one is refused with it (RFC 9449 9)."""
    url = decision_url(case)
    response = api.get(
        url, headers={"Authorization": f"DPoP {token}", "DPoP": key.proof("GET", url, token=token)}
    )
    assert response.status_code == 401, response.text
    assert response.json["error"] == "use_dpop_nonce"
    return response.headers[NONCE]
