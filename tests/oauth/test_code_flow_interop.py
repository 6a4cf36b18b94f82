"""A case-management system connects with a standard OAuth client library (Authlib's
OAuth2Session), discovering every endpoint from the metadata document, over real HTTP: code +
PKCE with authorization details, then the API, refresh, introspection and revocation."""

from __future__ import annotations

import json

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from broker.extensions import db
from broker.models import Grant
from tests.factories import make_claimant, make_decision
from tests.oauth.helpers import DETAILS, discover, http_browser, http_consent, make_client, query_of

CALLBACK = "http://127.0.0.1:8765/callback"


def test_case_system_completes_code_flow_with_pkce_and_reads_the_journal(ctx, issuer_server):
    claimant = make_claimant("Alex Morgan")
    make_decision(claimant, subject="Limited capability for work")
    client, secret = make_client(redirect_uris=(CALLBACK,))
    username, claimant_id, reference = claimant.account.username, claimant.id, claimant.reference
    db.session.rollback()  # SQLite: hold no snapshot while the live server writes
    metadata = discover(issuer_server)
    session = OAuth2Session(
        client.id,
        secret,
        scope="mr:read journal:read",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"],
        code_verifier=verifier,
        authorization_details=json.dumps(DETAILS),
    )

    browser = http_browser(issuer_server, username)
    answer = http_consent(browser, url, scopes=["mr:read"], months="1")  # narrows both
    assert answer.status_code == 303
    callback = answer.headers["Location"]
    assert callback.startswith(CALLBACK + "?")
    assert query_of(callback)["iss"] == metadata["issuer"]  # RFC 9207
    assert query_of(callback)["state"] == state

    token = session.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "mr:read"
    assert 0 < token["expires_in"] <= 600
    assert token["authorization_details"][0]["duration_months"] == 1
    decisions = session.get(f"{issuer_server}/api/v1/mr-decisions", timeout=10)
    assert decisions.status_code == 200
    assert decisions.json()["decisions"][0]["subject"] == "Limited capability for work"
    assert session.get(f"{issuer_server}/api/v1/journal", timeout=10).status_code == 403

    old_refresh = token["refresh_token"]
    # The claimant narrowed the request, so the client refreshes what it was given (RFC 6749 6).
    renewed = session.refresh_token(metadata["token_endpoint"], scope=token["scope"])
    assert renewed["refresh_token"] != old_refresh
    assert session.get(f"{issuer_server}/api/v1/mr-decisions", timeout=10).status_code == 200

    introspected = session.introspect_token(
        metadata["introspection_endpoint"], token=renewed["access_token"]
    ).json()
    assert introspected["active"] is True
    assert introspected["sub"] == claimant_id
    assert introspected["scope"] == "mr:read"
    assert introspected["claimant_reference"] == reference
    db.session.rollback()  # a fresh snapshot: the live server has written since
    grant = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant_id)).one()
    assert introspected["grant_ends_at"] == int(grant.ends_at.timestamp())
    assert (grant.recorded_by, grant.client_id, grant.scopes) == ("oauth", client.id, "mr:read")
    assert json.loads(grant.authorization_details)[0]["purpose"] == DETAILS[0]["purpose"]
    db.session.rollback()

    revoked = session.revoke_token(metadata["revocation_endpoint"], token=renewed["refresh_token"])
    assert revoked.status_code == 200
    after = session.introspect_token(
        metadata["introspection_endpoint"], token=renewed["access_token"]
    ).json()
    assert after == {"active": False}
    assert session.get(f"{issuer_server}/api/v1/mr-decisions", timeout=10).status_code == 401


def test_claimant_sees_the_case_system_on_who_can_see_your_journal(ctx, issuer_server):
    claimant = make_claimant()
    client, secret = make_client(redirect_uris=(CALLBACK,))
    username = claimant.account.username
    db.session.rollback()
    metadata = discover(issuer_server)
    session = OAuth2Session(
        client.id, secret, scope="mr:read", redirect_uri=CALLBACK, code_challenge_method="S256"
    )
    url, _state = session.create_authorization_url(
        metadata["authorization_endpoint"],
        code_verifier=generate_token(48),
        authorization_details=json.dumps(DETAILS),
    )
    browser = http_browser(issuer_server, username)
    assert http_consent(browser, url).status_code == 303

    page = browser.get(f"{issuer_server}/access", timeout=10)
    assert "Northside case system, Northside Citizens Advice" in page.text
    assert "Prepare the appeal hearing bundle" in page.text
    assert "You, on their request" in page.text
