"""security.md 29: a statement as a spyglass.

The attacker is an adviser whose access was stopped (or anyone holding their statement). A
statement covers the claimant's chain only up to the first checkpoint at or after the access
ended, so asking again later shows no later activity; asking never signs a checkpoint; and the
hidden events' actor commitments are keyed per actor, so a guess of who made one (another
adviser's ID, the claimant's, a client's) cannot be tested.
"""

from __future__ import annotations

import hashlib

import pytest

from broker import clock
from broker.chain import checkpoints
from broker.consent import grants
from broker.extensions import db
from broker.models import AuditCheckpoint
from tests.factories import bearer, bound, issue_token, make_decision, signer
from tests.proof import conftest as proof
from tests.proof.conftest import download_statement

account = pytest.fixture(proof.account.__wrapped__, name="account")  # tests/proof's fixture


def checkpoint_count() -> int:
    db.session.rollback()
    return db.session.query(AuditCheckpoint).count()


def test_a_stopped_advisers_statement_never_shows_later_activity(
    account, client, runner, frozen_clock
):  # noqa: ANN001
    grants.revoke(
        account.priya_grant, by=f"claimant:{account.claimant.id}", now=clock.now(), signer=signer()
    )
    db.session.commit()
    frozen_clock.advance(seconds=61)
    assert "Signed checkpoint 1" in runner.invoke(args=["checkpoint"]).output
    first = download_statement(client, account.priya, account.priya_grant, seal=False)

    # The claimant goes on with Tom, and the checkpoints carry on every minute.
    tom_token, _ = issue_token(account.tom_grant)
    decision = make_decision(account.claimant, "Later decision")
    for _ in range(3):
        client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(tom_token))
        frozen_clock.advance(seconds=61)
        assert "Signed checkpoint" in runner.invoke(args=["checkpoint"]).output
    client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(tom_token))  # unsealed
    before = checkpoint_count()

    later = download_statement(client, account.priya, account.priya_grant, seal=False)

    assert checkpoint_count() == before  # asking signs no checkpoint
    assert later["statement"]["leaf"] == first["statement"]["leaf"]
    assert later["statement"]["checkpoint"] == first["statement"]["checkpoint"]
    assert len(later["statement"]["events"]) == len(first["statement"]["events"])
    assert later["statement"]["access_ended"] is not None


def test_a_live_advisers_statement_does_not_sign_a_checkpoint(account, client, runner):  # noqa: ANN001
    assert runner.invoke(args=["checkpoint"]).exit_code == 0
    tom_token, _ = issue_token(account.tom_grant)
    client.get("/api/v1/mr-decisions", headers=bearer(tom_token))  # the chain moves on
    before = checkpoint_count()

    document = download_statement(client, account.priya, account.priya_grant, seal=False)

    assert checkpoint_count() == before
    sealed = checkpoints.leaf_at(account.claimant.id, before)[1].seq
    assert len(document["statement"]["events"]) == sealed  # up to the latest checkpoint only


def test_who_made_a_hidden_event_cannot_be_tested_by_guessing(account, client):  # noqa: ANN001
    document = download_statement(client, account.priya, account.priya_grant)
    statement = document["statement"]
    claimant_id = statement["claimant"]["id"]
    hidden = [e for e in statement["events"] if "action" not in e]
    guesses = [
        f"adviser:{account.tom.id}",
        f"claimant:{account.claimant.id}",
        "client:test-client",
        "system:sweep",
    ]
    mine = bytes.fromhex(statement["actor_key"])

    def testable(event: dict, actor: str) -> bool:
        """Every test a holder can make of a guess with what the file gives them."""
        salt = bytes.fromhex(event.get("salt", ""))
        candidates = {
            hashlib.sha256(salt + actor.encode()).hexdigest(),  # the old salted commitment
            checkpoints.commitment(mine, claimant_id, event["seq"]).hex(),
            checkpoints.commitment(
                hashlib.sha256(actor.encode()).digest(), claimant_id, event["seq"]
            ).hex(),
        }
        return event["actor_commitment"] in candidates

    assert not any(testable(e, actor) for e in hidden for actor in guesses)
    # ...although the commitments are Tom's and others', under keys only the broker holds.
    toms = checkpoints.actor_key(bound().statement_key, claimant_id, f"adviser:{account.tom.id}")
    assert any(
        e["actor_commitment"] == checkpoints.commitment(toms, claimant_id, e["seq"]).hex()
        for e in hidden
    )
    assert all("salt" not in e for e in statement["events"])
