"""A device client (a screen in an advice centre) uses the RFC 8628 device grant through a
standard client library, over real HTTP, discovering the endpoints from the metadata; the
claimant approves on their phone; the device gets tokens once and reads the journal."""

from __future__ import annotations

import json
import re

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from broker.consent import clients
from broker.extensions import db
from broker.models import DeviceAuthorization, Grant
from tests.factories import make_claimant, make_decision
from tests.oauth.helpers import (
    DETAILS,
    DEVICE_GRANT,
    discover,
    http_browser,
    http_consent,
    make_client,
)


def test_device_client_gets_tokens_once_after_claimant_approves_on_phone(ctx, issuer_server):
    claimant = make_claimant("Alex Morgan")
    make_decision(claimant)
    client, _no_secret = make_client(
        name="Northside desk screen",
        redirect_uris=(),
        grant_types=(DEVICE_GRANT, clients.REFRESH_GRANT),
        auth_method="none",
    )
    client_id, username, claimant_id = client.id, claimant.account.username, claimant.id
    db.session.rollback()
    metadata = discover(issuer_server)
    assert DEVICE_GRANT in metadata["grant_types_supported"]
    session = OAuth2Session(
        client_id, scope="mr:read journal:read", token_endpoint_auth_method="none"
    )

    started = session.post(
        metadata["device_authorization_endpoint"],
        withhold_token=True,
        data={
            "client_id": client_id,
            "scope": "mr:read journal:read",
            "authorization_details": json.dumps(DETAILS),
        },
    ).json()
    assert re.fullmatch(
        r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", started["user_code"]
    )
    assert started["verification_uri"] == f"{issuer_server}/device"
    assert (
        started["verification_uri_complete"]
        == f"{issuer_server}/device?user_code={started['user_code']}"
    )
    assert started["expires_in"] <= 600 and started["interval"] == 5
    with pytest.raises(OAuthError) as pending:
        session.fetch_token(
            metadata["token_endpoint"], grant_type=DEVICE_GRANT, device_code=started["device_code"]
        )
    assert pending.value.error == "authorization_pending"

    phone = http_browser(issuer_server, username)
    answer = http_consent(phone, started["verification_uri_complete"], scopes=["mr:read"])
    assert answer.status_code == 303

    token = session.fetch_token(
        metadata["token_endpoint"], grant_type=DEVICE_GRANT, device_code=started["device_code"]
    )
    assert token["scope"] == "mr:read"
    assert 0 < token["expires_in"] <= 600
    assert session.get(f"{issuer_server}/api/v1/mr-decisions", timeout=10).status_code == 200
    with pytest.raises(OAuthError) as again:
        session.fetch_token(
            metadata["token_endpoint"], grant_type=DEVICE_GRANT, device_code=started["device_code"]
        )
    assert again.value.error == "invalid_grant"

    db.session.rollback()
    grant = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant_id)).one()
    assert (grant.scopes, grant.recorded_by, grant.client_id) == ("mr:read", "oauth", client_id)
    assert grant.representative_name == "Northside desk screen"
    request = db.session.scalars(db.select(DeviceAuthorization)).one()
    assert (request.status, request.grant_id) == ("used", grant.id)
