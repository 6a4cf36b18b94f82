"""Staff sign-in authenticated with private_key_jwt (BROKER_STAFF_OIDC_KEY_FILE, no secret): the
provider has a second staff client that takes only a client assertion signed by that key
(ES256 here), and the key's public half is published at
/.well-known/staff-sign-in-client-jwks.json for the provider to register."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask

from broker.extensions import db
from broker.web.oidc_flow import ClientKey
from tests.oidc.fixtures import STAFF_JWT_CLIENT, OidcProvider, build_app, staff_sign_in


def _app(app: Flask, provider: OidcProvider, client_key_file: Path, key_file: Path) -> Flask:
    return build_app(
        app,
        provider,
        client_key_file,
        BROKER_STAFF_OIDC_CLIENT_ID=STAFF_JWT_CLIENT,
        BROKER_STAFF_OIDC_CLIENT_SECRET=None,
        BROKER_STAFF_OIDC_KEY_FILE=str(key_file),
    )


@pytest.fixture
def keyed_app(
    app: Flask, oidc_provider: OidcProvider, client_key_file: Path, staff_key_file: Path
) -> Iterator[Flask]:
    built = _app(app, oidc_provider, client_key_file, staff_key_file)
    yield built
    with built.app_context():
        db.engine.dispose()


def test_staff_sign_in_with_a_client_key(keyed_app: Flask, oidc_provider: OidcProvider):
    client = keyed_app.test_client()

    answer = staff_sign_in(client, oidc_provider, "jordan")

    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"].startswith("/staff")
    assert client.get(answer.headers["Location"]).status_code == 200


def test_a_key_the_provider_does_not_know_gets_nobody_in(
    app: Flask, oidc_provider: OidcProvider, client_key_file: Path, tmp_path: Path
):
    stranger = tmp_path / "other.pem"
    stranger.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    built = _app(app, oidc_provider, client_key_file, stranger)
    try:
        client = built.test_client()
        answer = staff_sign_in(client, oidc_provider, "jordan")
        assert answer.status_code == 503  # the token endpoint refused our client assertion
        assert client.get("/staff/").status_code in (302, 303)  # not signed in
    finally:
        with built.app_context():
            db.engine.dispose()


def test_the_public_key_is_published_without_its_private_half(
    keyed_app: Flask, staff_key_file: Path
):
    answer = keyed_app.test_client().get("/.well-known/staff-sign-in-client-jwks.json")

    assert answer.status_code == 200
    (key,) = answer.get_json()["keys"]
    assert key == ClientKey.load(str(staff_key_file)).public
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in key


def test_with_a_client_secret_there_is_no_key_to_publish(oidc_app: Flask):
    answer = oidc_app.test_client().get("/.well-known/staff-sign-in-client-jwks.json")

    assert answer.status_code == 404
