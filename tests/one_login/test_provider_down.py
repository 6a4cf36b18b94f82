"""GOV.UK One Login down, or answering garbage: the claimant is told it is not answering
(503), never a 500, and nothing is stored."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from sqlalchemy import func, select

from broker.extensions import db
from broker.models import ExternalIdentity, UserSession
from tests.oidc.fixtures import OidcProvider, at_provider, build_app, free_port, local
from tests.oidc.people import claimant_with_email

NOT_ANSWERING = "GOV.UK One Login is not answering. Try again in a few minutes."


def test_discovery_failing_shows_not_answering(
    app: Flask, oidc_provider: OidcProvider, client_key_file: Path
):
    dead = build_app(
        app,
        oidc_provider,
        client_key_file,
        BROKER_ONELOGIN_ISSUER=f"http://localhost:{free_port()}",
    )
    answer = dead.test_client().get("/one-login/start")

    assert answer.status_code == 503
    assert NOT_ANSWERING in answer.text


def test_the_token_endpoint_refusing_us_shows_not_answering_and_stores_nothing(
    app: Flask, oidc_provider: OidcProvider, tmp_path: Path
):
    """Our key is not the one the provider has (a botched rotation): its token endpoint
    answers invalid_client."""
    other_key = tmp_path / "other.pem"
    other_key.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    rotated = build_app(app, oidc_provider, other_key)
    with rotated.app_context():
        claimant_with_email("alex@example.com", "UC-2001-AM")
    client = rotated.test_client()
    start = client.get("/one-login/start")
    back = at_provider(oidc_provider, start.headers["Location"], "alex")

    answer = client.get(local(back))

    assert answer.status_code == 503
    assert NOT_ANSWERING in answer.text
    with rotated.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalIdentity)) == 0
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
