"""A screen in an advice centre (RFC 8628 device grant) binds its tokens to its key too, and a
refused proof does not use up the device code."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import jwt

from broker.consent import clients
from tests.conftest import sign_in
from tests.oauth.helpers import DETAILS, DEVICE_GRANT, consent, make_client

from .flows import token_request
from .proofs import ClientKey


def test_a_device_gets_a_bound_token_once_the_claimant_approves(app, case):
    client, _none = make_client(
        name="Northside desk screen",
        redirect_uris=(),
        grant_types=(DEVICE_GRANT, clients.REFRESH_GRANT),
        auth_method="none",
    )
    api = app.test_client()
    started = api.post(
        "/oauth/device_authorization",
        data={
            "client_id": client.id,
            "scope": "mr:read journal:read",
            "authorization_details": json.dumps(DETAILS),
        },
    ).json
    phone = app.test_client()
    sign_in(phone, case.username)
    complete = urlsplit(started["verification_uri_complete"])
    assert consent(phone, f"{complete.path}?{complete.query}").status_code == 303
    form = {
        "grant_type": DEVICE_GRANT,
        "device_code": started["device_code"],
        "client_id": client.id,
    }
    key = ClientKey("EdDSA")

    forged = api.post(
        "/oauth/token",
        data=form,
        headers={"DPoP": key.proof("POST", "http://broker.test/oauth/revoke")},
    )
    token = token_request(api, form, key, auth={})

    assert forged.status_code == 400
    assert forged.json["error"] == "invalid_dpop_proof"
    assert token.status_code == 200, token.text  # the refused try did not use the code up
    assert token.json["token_type"] == "DPoP"
    claims = jwt.decode(token.json["access_token"], options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": key.jkt}
