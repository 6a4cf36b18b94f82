"""What the broker asks One Login for: the code flow with PKCE S256, a fresh state and nonce for
each sign-in, our redirect URL, and the vector of trust as One Login expects it (a JSON string);
and the public half of our private_key_jwt key, published for One Login to register."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from tests.oidc.fixtures import ONE_LOGIN_CLIENT, OidcProvider


def asked(client) -> dict[str, str]:  # noqa: ANN001
    start = client.get("/one-login/start")
    assert start.status_code == 302
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    return {name: values[0] for name, values in query.items()}


def test_the_request_carries_pkce_state_nonce_and_vtr(
    app: Flask, oidc_app: Flask, oidc_provider: OidcProvider
):
    first = asked(oidc_app.test_client())
    second = asked(oidc_app.test_client())

    assert first["response_type"] == "code"
    assert first["client_id"] == ONE_LOGIN_CLIENT
    assert first["redirect_uri"] == f"{oidc_provider.broker}/one-login/callback"
    assert set(first["scope"].split()) == {"openid", "email"}
    assert first["code_challenge_method"] == "S256"
    assert json.loads(first["vtr"]) == ["Cl.Cm"]
    for name in ("state", "nonce", "code_challenge"):
        assert len(first[name]) >= 20
        assert first[name] != second[name]


def test_our_public_key_is_published_without_its_private_half(app: Flask, oidc_app: Flask):
    answer = oidc_app.test_client().get("/.well-known/onelogin-client-jwks.json")

    assert answer.status_code == 200
    (key,) = answer.get_json()["keys"]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
