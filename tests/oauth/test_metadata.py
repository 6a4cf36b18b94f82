"""The RFC 8414 metadata document lists every endpoint and exactly what the server supports."""

from __future__ import annotations


def test_metadata_lists_every_endpoint_and_only_the_three_grants(client):
    response = client.get("/.well-known/oauth-authorization-server")

    assert response.status_code == 200
    metadata = response.json
    base = "http://broker.test"
    assert metadata["issuer"] == base
    assert metadata["authorization_endpoint"] == f"{base}/authorize"
    assert metadata["token_endpoint"] == f"{base}/oauth/token"
    assert metadata["device_authorization_endpoint"] == f"{base}/oauth/device_authorization"
    assert metadata["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert metadata["introspection_endpoint"] == f"{base}/oauth/introspect"
    assert metadata["jwks_uri"] == f"{base}/.well-known/jwks.json"
    assert metadata["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    ]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_details_types_supported"] == ["uc_journal_access"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert "mr:read" in metadata["scopes_supported"]
    for path in ("/.well-known/jwks.json", "/.well-known/oauth-authorization-server"):
        assert client.get(path).status_code == 200


def test_oauth_endpoints_refuse_plain_http_off_loopback(client):
    token = client.post(
        "/oauth/token",
        base_url="http://broker.example",
        data={"grant_type": "authorization_code", "code": "x"},
    )
    page = client.get(
        "/authorize?response_type=code&client_id=x", base_url="https://broker.example"
    )

    assert token.status_code == 400
    assert token.json == {
        "error": "invalid_request",
        "error_description": "OAuth endpoints must be called over https",
    }
    assert page.status_code == 303  # https is fine: on to sign in first
