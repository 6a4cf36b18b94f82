"""security.md 87: an adviser or case system using an evidence bundle to read what its token
may not: a sensitive entry without `journal:sensitive`, an entry dated outside the grant's
window, a decision without `mr:read`, another claimant's entry, or any of these hidden among
items it may read. Each is the API's own 404, the whole bundle is refused, nothing is issued or
read, and the refusal is in the claimant's chain with the token's ID.
(The console goes through the same API: tests/adviser/test_evidence_bundles.py.)"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from broker import clock
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import SignedDocument
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_entry,
)
from tests.window.dated import at, windowed


def test_every_item_the_token_could_not_read_refuses_the_bundle_and_is_audited(ctx, client):
    claimant = make_claimant("Alex Morgan")
    today = clock.uk_day(clock.now())
    grant = windowed(
        claimant, make_adviser("Priya Shah"), Window(today - timedelta(days=30), today),
        "journal:read",
    )  # fmt: skip
    token, jti = issue_token(grant)
    readable = make_entry(claimant, "Readable", created_at=at(today - timedelta(days=2)))
    attempts = {
        "sensitive": make_entry(
            claimant, "Counselling notes", sensitive=True, created_at=at(today - timedelta(days=2))
        ).id,
        "outside the window": make_entry(
            claimant, "Old", created_at=at(today - timedelta(days=60))
        ).id,
        "another claimant's": make_entry(make_claimant("Other Person"), "Theirs").id,
    }
    decision = make_decision(claimant)  # no mr:read
    bodies = [{"journal_entries": [readable.id, ident]} for ident in attempts.values()]
    bodies.append({"journal_entries": [readable.id], "mr_decisions": [decision.id]})
    for body in bodies:
        answer = client.post("/api/v1/evidence-bundles", headers=bearer(token), json=body)
        assert answer.status_code == 404, body
        assert answer.json["error"] == "not_found"
        assert "Counselling" not in answer.text and "Old" not in answer.text
    assert db.session.scalar(select(func.count()).select_from(SignedDocument)) == 0
    events = chain_events(claimant.id, "%", "action", "token_id", "outcome")
    assert events.count(("evidence.bundle", jti, "refused:not_found")) == len(bodies)
    assert not [e for e in events if e[0] in ("document.issue", "journal.read", "mr.read")]
    # The same token may make a bundle of what it may read.
    ok = client.post(
        "/api/v1/evidence-bundles", headers=bearer(token), json={"journal_entries": [readable.id]}
    )
    assert ok.status_code == 201
