"""The claimant sees every access made under each grant, newest first, with its token ID."""

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


def test_a_read_by_the_adviser_shows_in_the_claimants_history_with_the_token_id(app, ctx):
    claimant = make_claimant()
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, "mr:read")
    decision = make_decision(claimant, "Housing costs element")
    token, jti = issue_token(grant)
    api = app.test_client()
    api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))
    api.post(
        "/api/v1/mr-requests", headers=bearer(token), json={"decision_about": "x", "reasons": "y"}
    )

    page = app.test_client()
    sign_in(page, claimant.account.username)
    history = page.get("/history")

    assert history.status_code == 200
    text = history.text
    assert "Read a reconsideration decision: Housing costs element" in text
    assert "Priya Shah, Northside Citizens Advice" in text
    assert jti in text
    assert "Refused" in text and "Allowed" in text
    # Newest first: the refused write comes before the read.
    assert text.index("Asked for a reconsideration for you") < text.index("Read a reconsideration")


def test_a_partner_does_not_see_the_other_partners_history(app, ctx):
    alex = make_claimant("Alex")
    sam = make_claimant("Sam", partner=alex)
    grant = make_grant(alex, make_adviser())
    token, jti = issue_token(grant)
    app.test_client().get("/api/v1/mr-decisions", headers=bearer(token))

    page = app.test_client()
    sign_in(page, sam.account.username)

    assert jti not in page.get("/history").text
    assert "Nobody can see your journal" in page.get("/access").text
