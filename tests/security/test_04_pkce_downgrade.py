"""security.md 4: PKCE downgrade. A code issued without a challenge never yields tokens, and a
verifier sent for it is refused (RFC 9700 4.8.2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker import clock
from broker.consent import clients
from broker.extensions import db
from broker.models import AccessToken, AuthorizationCode
from broker.opaque import hash_secret
from tests.conftest import sign_in
from tests.factories import signer
from tests.oauth.helpers import REDIRECT_URI, authorize_query, pkce_pair, query_of, redeem


def test_the_authorization_endpoint_will_not_issue_a_code_without_a_challenge(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)

    response = browser.get(authorize_query(case.client_id, None, method=None))

    assert query_of(response.headers["Location"])["error"] == "invalid_request"
    assert db.session.scalars(db.select(AuthorizationCode)).all() == []


@pytest.mark.parametrize("send_verifier", [True, False])
def test_a_code_without_a_challenge_is_refused_with_or_without_a_verifier(app, case, send_verifier):
    # A code stored without a challenge, as an older server or a downgraded request would leave.
    now = clock.now()
    grant = clients.grant_access(
        case.claimant,
        clients.representative_for(case.client),
        client=case.client,
        requested=("mr:read",),
        chosen=("mr:read",),
        details=clients.ConsentDetails("Appeal", "Adviser", "", 3),
        months=3,
        now=now,
        signer=signer(),
    )
    db.session.add(
        AuthorizationCode(
            code_hash=hash_secret("code-without-pkce"),
            client_id=case.client_id,
            claimant_id=case.claimant_id,
            grant_id=grant.id,
            redirect_uri=REDIRECT_URI,
            scopes="mr:read",
            code_challenge=None,
            code_challenge_method=None,
            created_at=now,
            expires_at=now + timedelta(seconds=60),
        )
    )
    db.session.commit()
    verifier, _challenge = pkce_pair()

    response = redeem(
        app.test_client(),
        case.client_id,
        case.secret,
        "code-without-pkce",
        verifier if send_verifier else None,
    )

    assert response.status_code == 400
    assert response.json["error"] in ("invalid_request", "invalid_grant")
    assert db.session.scalars(db.select(AccessToken)).all() == []
