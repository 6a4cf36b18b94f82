"""Anyone can check our access tokens' signatures with the published key set."""

from __future__ import annotations

import jwt

from broker import services
from tests.factories import issue_token, make_adviser, make_claimant, make_grant


def test_the_published_key_verifies_an_issued_token(app, ctx, client):
    token, jti = issue_token(make_grant(make_claimant(), make_adviser()))

    keys = client.get("/.well-known/jwks.json")

    assert keys.status_code == 200
    [key] = keys.json["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in key  # never the private part
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    public = jwt.PyJWK(key).key
    claims = jwt.decode(token, public, algorithms=["ES256"], audience="http://broker.test/api/v1")
    assert claims["jti"] == jti


def test_signing_keys_persist_across_restarts_of_the_app(app, tmp_path):
    from flask_migrate import upgrade

    from broker import create_app

    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
        "BROKER_KEY_DIR": str(tmp_path / "keys"),
    }
    first_app = create_app(config)
    with first_app.app_context():
        upgrade(revision="heads")
    with first_app.app_context():
        first = services.of(first_app).tokens.key.kid
    second_app = create_app(config)
    with second_app.app_context():
        second = services.of(second_app).tokens.key.kid

    assert first == second  # the key is in the database, sealed under the same key there
    assert (tmp_path / "keys" / "key-encryption-key").stat().st_mode & 0o077 == 0
    assert not (tmp_path / "keys" / "signing-key.pem").exists()
