"""The bearer-token API never reads or sets the session cookie: a signed-in browser's cookie
cannot speak for an API call (so no cross-site page can ride on it), and no API answer starts a
session."""

from __future__ import annotations

from tests.conftest import sign_in
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)


def test_a_claimants_signed_in_cookie_does_not_read_the_api(ctx, client):
    claimant = make_claimant()
    make_decision(claimant)
    sign_in(client, claimant.account.username)

    response = client.get("/api/v1/mr-decisions")

    assert response.status_code == 401
    assert response.json["error"] == "invalid_request"
    assert "Set-Cookie" not in response.headers


def test_an_api_answer_sets_no_cookie(ctx, client):
    claimant = make_claimant()
    decision = make_decision(claimant)
    token, _ = issue_token(make_grant(claimant, make_adviser()))

    response = client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
