"""An adviser's token reads what its grant allows, for its own claimant only, and is audited."""

from __future__ import annotations

from broker.extensions import db
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_entry,
    make_grant,
)


def test_adviser_reads_an_mr_decision_and_the_read_is_audited_with_the_token_id(ctx, client):
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser())
    decision = make_decision(claimant)
    token, jti = issue_token(grant)

    response = client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))

    assert response.status_code == 200
    assert response.json["subject"] == "Limited capability for work"
    last = chain_events(claimant.id)[-1]
    assert (last.token_id, last.action, last.outcome) == (jti, "mr.read", "allowed")
    assert last.resource == f"mr_decision:{decision.id}"


def test_listing_the_journal_hides_sensitive_entries_without_the_sensitive_scope(ctx, client):
    claimant = make_claimant()
    make_entry(claimant, "Open message")
    hidden = make_entry(claimant, "Health assessment", sensitive=True)
    token, _ = issue_token(make_grant(claimant, make_adviser()))

    listed = client.get("/api/v1/journal", headers=bearer(token))
    direct = client.get(f"/api/v1/journal/{hidden.id}", headers=bearer(token))

    assert [e["subject"] for e in listed.json["entries"]] == ["Open message"]
    assert direct.status_code == 404


def test_a_token_for_one_claimant_never_returns_another_claimants_entries(ctx, client):
    alice, bob = make_claimant("Alice"), make_claimant("Bob")
    bobs_decision = make_decision(bob)
    bobs_entry = make_entry(bob)
    token, jti = issue_token(make_grant(alice, make_adviser()))

    decision = client.get(f"/api/v1/mr-decisions/{bobs_decision.id}", headers=bearer(token))
    entry = client.get(f"/api/v1/journal/{bobs_entry.id}", headers=bearer(token))

    assert decision.status_code == 404
    assert entry.status_code == 404
    refused = [e for e in chain_events(alice.id) if e.token_id == jti]
    assert [e.outcome for e in refused] == ["refused:not_found", "refused:not_found"]
    assert all(e.claimant_id == alice.id for e in refused)
    assert [e.action for e in chain_events(bob.id)] == []


def test_without_mr_request_scope_lodging_is_refused_403_and_audited(ctx, client):
    claimant = make_claimant()
    token, jti = issue_token(make_grant(claimant, make_adviser(), "mr:read"))

    response = client.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": "LCW", "reasons": "Wrong"},
    )

    assert response.status_code == 403
    assert response.json["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    last = chain_events(claimant.id)[-1]
    assert (last.token_id, last.outcome) == (jti, "refused:scope")


def test_with_mr_request_scope_the_request_lands_in_the_journal_with_the_token_id(ctx, client):
    claimant = make_claimant()
    token, jti = issue_token(make_grant(claimant, make_adviser(), "mr:read mr:request"))

    response = client.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={
            "decision_about": "Limited capability for work",
            "reasons": "The assessment missed my evidence.",
        },
    )

    assert response.status_code == 201
    assert response.json["token_id"] == jti
    assert response.json["kind"] == "mr_request"
    last = chain_events(claimant.id)[-1]
    assert (last.action, last.outcome, last.token_id) == ("mr.request", "allowed", jti)


def test_a_malformed_mr_request_is_400_and_nothing_is_written(ctx, client):
    from broker.models import JournalEntry

    claimant = make_claimant()
    token, _ = issue_token(make_grant(claimant, make_adviser(), "mr:request"))

    response = client.post("/api/v1/mr-requests", headers=bearer(token), json={"reasons": ""})

    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert db.session.scalar(db.select(db.func.count()).select_from(JournalEntry)) == 0
