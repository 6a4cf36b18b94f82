"""security.md 25: cross-claimant access. Every lookup is filtered by the token's claimant: a
valid token for A asking for B's journal entry or MR decision gets 404, audited as refused."""

from __future__ import annotations

from broker.extensions import db
from broker.models import AuditEvent
from tests.factories import bearer, make_claimant, make_decision, make_entry

from .conftest import audit_trail


def test_a_token_for_one_claimant_cannot_reach_another_claimants_records(app, case, tokens):
    other = make_claimant("Sam Morgan")
    their_entry = make_entry(other, subject="Sam's private message")
    their_decision = make_decision(other, subject="Childcare costs")
    other_id, entry_id, decision_id = other.id, their_entry.id, their_decision.id
    api = app.test_client()
    token = bearer(tokens["access_token"])

    entry = api.get(f"/api/v1/journal/{entry_id}", headers=token)
    decision = api.get(f"/api/v1/mr-decisions/{decision_id}", headers=token)

    assert entry.status_code == decision.status_code == 404
    assert "Sam's private message" not in entry.text and "Childcare costs" not in decision.text
    trail = audit_trail(case.claimant_id)
    assert [(a, o) for a, o, _t in trail[-2:]] == [
        ("journal.read", "refused:not_found"),
        ("mr.read", "refused:not_found"),
    ]
    assert {t for _a, _o, t in trail[-2:]} == {trail[-1][2]} and trail[-1][2]
    assert (
        db.session.scalars(db.select(AuditEvent).where(AuditEvent.claimant_id == other_id)).all()
        == []
    )
