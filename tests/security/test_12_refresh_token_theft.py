"""security.md 12: refresh token theft. Refresh tokens rotate on every use; when an old one comes
back the whole family dies, access tokens included; none outlives its grant."""

from __future__ import annotations

from broker.consent import grants
from broker.extensions import db
from broker.models import Grant, RefreshToken
from tests.factories import bearer, signer
from tests.oauth.helpers import make_client, refresh

from .conftest import audit_trail


def test_replaying_a_rotated_refresh_token_kills_the_whole_family(app, case, tokens):
    api = app.test_client()
    rt1 = tokens["refresh_token"]
    rotated = refresh(api, case.client_id, case.secret, rt1)
    rt2, at2 = rotated.json["refresh_token"], rotated.json["access_token"]
    works = api.get(f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(at2))

    replay = refresh(api, case.client_id, case.secret, rt1)  # the thief, or the victim, replays
    rt2_after = refresh(api, case.client_id, case.secret, rt2)
    at2_after = api.get(f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(at2))
    at1_after = api.get(
        f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(tokens["access_token"])
    )

    assert rotated.status_code == 200 and rt2 != rt1 and works.status_code == 200
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert rt2_after.status_code == 400 and rt2_after.json["error"] == "invalid_grant"
    assert at2_after.status_code == at1_after.status_code == 401
    rows = db.session.scalars(db.select(RefreshToken)).all()
    assert len(rows) == 2 and all(row.revoked_at is not None for row in rows)
    assert ("token.revoke", "refused:refresh_reuse") in [
        (a, o) for a, o, _t in audit_trail(case.claimant_id)
    ]


def test_refresh_tokens_are_stored_hashed_and_never_outlive_the_grant(
    app, case, tokens, frozen_clock
):
    row = db.session.scalars(db.select(RefreshToken)).one()
    grant = db.session.get(Grant, row.grant_id)
    assert tokens["refresh_token"] not in (row.token_hash, row.id)
    assert row.expires_at <= grant.ends_at

    frozen_clock.now = grant.ends_at
    late = refresh(app.test_client(), case.client_id, case.secret, tokens["refresh_token"])

    assert late.status_code == 400 and late.json["error"] == "invalid_grant"


def test_another_client_cannot_use_the_refresh_token(app, case, tokens):
    thief, thief_secret = make_client(name="Other system")

    stolen = refresh(app.test_client(), thief.id, thief_secret, tokens["refresh_token"])
    genuine = refresh(app.test_client(), case.client_id, case.secret, tokens["refresh_token"])

    assert stolen.status_code == 400 and stolen.json["error"] == "invalid_grant"
    assert genuine.status_code == 200  # not burned by the other client


def test_a_revoked_grant_stops_refresh(app, case, tokens):
    grant = db.session.scalars(db.select(Grant)).one()
    grants.revoke(grant, by=f"claimant:{case.claimant_id}", now=grant.created_at, signer=signer())
    db.session.commit()

    response = refresh(app.test_client(), case.client_id, case.secret, tokens["refresh_token"])

    assert response.status_code == 400 and response.json["error"] == "invalid_grant"
