"""security.md 6: code replay. A code is single use, lives at most 60 seconds and is bound to its
client; a second use revokes what the first one got."""

from __future__ import annotations

from broker.extensions import db
from broker.models import AccessToken, AuthorizationCode, Grant
from tests.factories import bearer
from tests.oauth.helpers import (
    approve_code,
    authorize_query,
    make_client,
    pkce_pair,
    query_of,
    redeem,
    refresh,
)

from .conftest import audit_trail


def issue_code(app, case) -> tuple[str, str]:  # noqa: ANN001
    verifier, challenge = pkce_pair()
    location = approve_code(
        app.test_client(), case.username, authorize_query(case.client_id, challenge)
    )
    return query_of(location)["code"], verifier


def test_a_second_redemption_fails_and_kills_the_first_token(app, case):
    code, verifier = issue_code(app, case)
    api = app.test_client()
    first = redeem(api, case.client_id, case.secret, code, verifier)
    token = first.json["access_token"]
    before = api.get(f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(token))

    second = redeem(api, case.client_id, case.secret, code, verifier)
    after = api.get(f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(token))
    renewed = refresh(api, case.client_id, case.secret, first.json["refresh_token"])

    assert first.status_code == 200 and before.status_code == 200
    assert second.status_code == 400 and second.json["error"] == "invalid_grant"
    assert after.status_code == 401
    assert renewed.status_code == 400 and renewed.json["error"] == "invalid_grant"
    grant = db.session.scalars(db.select(Grant)).one()
    assert (grant.status, grant.ended_by) == ("revoked", "system:code-replay")
    trail = audit_trail(case.claimant_id)
    assert ("grant.revoke", "done", "") in trail
    assert trail[-1][:2] == ("mr.read", "refused:grant_inactive")


def test_a_code_is_dead_after_60_seconds(app, case, frozen_clock):
    code, verifier = issue_code(app, case)
    row = db.session.scalars(db.select(AuthorizationCode)).one()
    assert (row.expires_at - row.created_at).total_seconds() <= 60

    frozen_clock.advance(seconds=61)
    response = redeem(app.test_client(), case.client_id, case.secret, code, verifier)

    assert response.status_code == 400 and response.json["error"] == "invalid_grant"
    assert db.session.scalars(db.select(AccessToken)).all() == []


def test_another_client_cannot_redeem_the_code(app, case):
    code, verifier = issue_code(app, case)
    thief, thief_secret = make_client(name="Other system")

    stolen = redeem(app.test_client(), thief.id, thief_secret, code, verifier)
    genuine = redeem(app.test_client(), case.client_id, case.secret, code, verifier)

    assert stolen.status_code == 400 and stolen.json["error"] == "invalid_grant"
    assert genuine.status_code == 200  # the code is bound to its client, not burned by the thief
