"""security.md 20: client impersonation. Client secrets are stored hashed; a confidential client
must authenticate at every endpoint: client_id alone is invalid_client."""

from __future__ import annotations

import hashlib

from broker.consent import clients
from broker.extensions import db
from broker.models import AccessToken, DeviceAuthorization, OAuthClient
from tests.oauth.helpers import (
    CODE_AND_REFRESH,
    DETAILS,
    approve_code,
    authorize_query,
    basic,
    make_client,
    pkce_pair,
    query_of,
    redeem,
)


def test_the_secret_is_stored_only_as_its_hash(case):
    row = db.session.get(OAuthClient, case.client_id)

    assert row.secret_hash == hashlib.sha256(case.secret.encode()).hexdigest()
    assert case.secret not in " ".join(str(v) for v in vars(row).values())


def test_client_id_alone_is_refused_at_every_endpoint(app, case, tokens):
    import json

    device_client, device_secret = make_client(
        name="Desk", redirect_uris=(), grant_types=(clients.DEVICE_GRANT, *CODE_AND_REFRESH[1:])
    )
    verifier, challenge = pkce_pair()
    code = query_of(
        approve_code(app.test_client(), case.username, authorize_query(case.client_id, challenge))
    )["code"]
    api = app.test_client()
    tokens_before = len(db.session.scalars(db.select(AccessToken)).all())

    answers = {
        "token": redeem(api, case.client_id, None, code, verifier),  # client_id in the form only
        "token, wrong secret": redeem(api, case.client_id, "wrong-secret", code, verifier),
        "refresh": api.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": case.client_id,
            },
        ),
        "revoke": api.post(
            "/oauth/revoke", data={"token": tokens["access_token"], "client_id": case.client_id}
        ),
        "introspect": api.post(
            "/oauth/introspect", data={"token": tokens["access_token"], "client_id": case.client_id}
        ),
        "device": api.post(
            "/oauth/device_authorization",
            data={
                "client_id": device_client.id,
                "scope": "mr:read",
                "authorization_details": json.dumps(DETAILS),
            },
        ),
    }

    for endpoint, response in answers.items():
        assert response.status_code in (400, 401), endpoint
        assert response.json["error"] == "invalid_client", endpoint
    assert len(db.session.scalars(db.select(AccessToken)).all()) == tokens_before
    assert db.session.scalars(db.select(DeviceAuthorization)).all() == []
    genuine = redeem(api, case.client_id, case.secret, code, verifier)
    assert genuine.status_code == 200  # the attempts burned nothing
    assert device_secret  # the device client is confidential


def test_a_public_client_cannot_introspect(app, case):
    public, _ = make_client(name="Public app", auth_method="none")

    response = app.test_client().post(
        "/oauth/introspect", data={"token": "anything", "client_id": public.id}
    )

    assert response.json["error"] == "invalid_client"


def test_basic_auth_with_the_wrong_secret_gets_401_with_a_challenge(app, case):
    response = app.test_client().post(
        "/oauth/introspect", data={"token": "anything"}, headers=basic(case.client_id, "guess")
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
