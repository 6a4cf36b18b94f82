"""A claimant revokes a grant: the adviser's very next call with the same token is refused."""

from __future__ import annotations

from broker import clock
from broker.consent import grants
from broker.extensions import db
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)


def test_api_call_after_claimant_revokes_is_401_and_audited(app, ctx):
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser())
    decision = make_decision(claimant)
    token, jti = issue_token(grant)
    adviser_client, claimant_client = app.test_client(), app.test_client()
    assert (
        adviser_client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token)).status_code
        == 200
    )

    sign_in(claimant_client, claimant.account.username)
    confirm = claimant_client.get(f"/access/{grant.id}/revoke")
    revoked = claimant_client.post(
        f"/access/{grant.id}/revoke", data={"csrf_token": csrf_from(confirm.text)}
    )
    after = adviser_client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))

    assert revoked.status_code == 303
    assert after.status_code == 401
    assert after.json["error"] == "invalid_token"
    assert "subject" not in after.json
    outcomes = chain_events(claimant.id, "%", "action", "outcome", "token_id")
    assert outcomes[-2][:2] == ("grant.revoke", "done")
    assert outcomes[-1] == ("mr.read", "refused:grant_inactive", jti)


def test_revoke_needs_its_confirm_post_with_csrf(app, ctx):
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser())
    client = app.test_client()
    sign_in(client, claimant.account.username)

    page = client.get(f"/access/{grant.id}/revoke")
    forged = client.post(f"/access/{grant.id}/revoke", data={})

    assert page.status_code == 200
    assert "Stop access for" in page.text
    assert forged.status_code == 400
    db.session.refresh(grant)
    assert grant.status == "active"


def test_a_claimant_cannot_revoke_someone_elses_grant(app, ctx):
    owner, other = make_claimant("Owner"), make_claimant("Other")
    grant = make_grant(owner, make_adviser())
    client = app.test_client()
    sign_in(client, other.account.username)

    page = client.get(f"/access/{grant.id}/revoke")

    assert page.status_code == 404
    db.session.refresh(grant)
    assert grant.status == "active"


def test_tokens_stop_working_when_the_grant_ends_even_before_they_expire(ctx, client, frozen_clock):
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser(), months=1)
    decision = make_decision(claimant)
    frozen_clock.now = grant.ends_at - __import__("datetime").timedelta(seconds=30)
    token, _ = issue_token(grant)
    assert (
        client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token)).status_code == 200
    )

    frozen_clock.advance(seconds=31)

    refused = client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))
    assert refused.status_code == 401
    assert grants.state_at(grant, clock.now()) == "expired"
