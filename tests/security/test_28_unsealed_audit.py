"""security.md 28: the audit rewritten before it is sealed.

The attacker can write to the database but cannot sign. Events after the latest checkpoint are
not yet covered by a signature, so the defence is time: a checkpoint is signed whenever events
were added and the last one is a minute old (BROKER_CHECKPOINT_SECONDS), and `verify-audit
--strict` fails when an event has waited longer than that. A chain rewritten with recomputed
hashes (an allowed MR request turned into a refusal) or cut short is named once the next
checkpoint is due, whether the events were after the latest checkpoint or an older one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from broker.extensions import db
from tests.factories import bearer, issue_token, make_adviser, make_grant
from tests.proof import conftest as proof
from tests.proof.conftest import rewrite_chain

account = pytest.fixture(proof.account.__wrapped__, name="account")  # tests/proof's fixture


def lodge_mr_request(client, account) -> int:  # noqa: ANN001
    """An adviser with mr:request lodges one (allowed); returns its event's seq."""
    sara = make_adviser("Sara Khan", "Eastgate Advice")
    token, _ = issue_token(make_grant(account.claimant, sara, "mr:read mr:request"))
    response = client.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": "Limited capability for work", "reasons": "I cannot work"},
    )
    assert response.status_code in (200, 201), response.text
    return db.session.execute(
        text(
            "SELECT seq FROM audit_events WHERE claimant_id = :c AND action = 'mr.request'"
            " AND outcome = 'allowed'"
        ),
        {"c": account.claimant.id},
    ).scalar_one()


def run(runner, *args: str):  # noqa: ANN201
    result = runner.invoke(args=list(args))
    db.session.rollback()
    return result


@pytest.fixture
def sealed_then_moved(account, runner, client, frozen_clock):  # noqa: ANN001, ANN201
    """Checkpoint 1 over the account; then an allowed MR request, still unsealed."""
    assert "Signed checkpoint 1" in run(runner, "checkpoint").output
    frozen_clock.advance(seconds=5)
    return lodge_mr_request(client, account)


@pytest.mark.parametrize("after", ["latest", "older"])
@pytest.mark.parametrize("attack", ["rewrite", "delete"])
def test_events_changed_after_a_checkpoint_are_named_once_the_next_is_due(
    account, runner, client, frozen_clock, sealed_then_moved, attack, after
):  # noqa: ANN001
    seq = sealed_then_moved
    frozen_clock.advance(seconds=61)  # cron's next run: the checkpoint is due
    result = run(runner, "checkpoint")
    assert "Signed checkpoint 2" in result.output, result.output
    if after == "older":  # more activity elsewhere, sealed by a later checkpoint
        other_token, _ = issue_token(make_grant(account.other, account.priya))
        client.get("/api/v1/mr-decisions", headers=bearer(other_token))
        frozen_clock.advance(seconds=61)
        assert "Signed checkpoint 3" in run(runner, "checkpoint").output
    c = account.claimant.id
    if attack == "rewrite":
        rewrite_chain(c, {"outcome": "refused:scope"}, at=seq)
    else:
        rewrite_chain(c, upto=seq - 1)

    result = run(runner, "verify-audit", "--strict")

    assert result.exit_code == 1, result.output
    assert f"BROKEN claimant {c}" in result.output
    assert f"at event {seq}" in result.output


def test_unsealed_events_are_counted_and_fail_strict_once_older_than_the_interval(
    account, runner, client, frozen_clock, sealed_then_moved
):  # noqa: ANN001
    c = account.claimant.id
    fresh = run(runner, "verify-audit", "--strict")
    assert fresh.exit_code == 0, fresh.output
    assert "event(s) on 1 chain(s) not yet sealed: the oldest is 0s old" in fresh.output

    # The attacker rewrites the unsealed event and stops the checkpointer: the chain holds
    # together, but the event waits longer than a minute and --strict says so.
    rewrite_chain(c, {"outcome": "refused:scope"}, at=sealed_then_moved)
    frozen_clock.advance(seconds=61)
    late = run(runner, "verify-audit", "--strict")
    assert late.exit_code == 1, late.output
    assert "event(s) on 1 chain(s) not yet sealed: the oldest is 61s old" in late.output
    assert run(runner, "verify-audit").exit_code == 0  # without --strict: reported only

    assert "Signed checkpoint 2" in run(runner, "checkpoint").output
    sealed = run(runner, "verify-audit", "--strict")
    assert sealed.exit_code == 0, sealed.output
    assert "Every event is sealed by a signed checkpoint." in sealed.output


def test_the_sweep_signs_a_due_checkpoint_too(account, runner, client, frozen_clock):  # noqa: ANN001
    assert "Signed checkpoint 1" in run(runner, "checkpoint").output
    lodge_mr_request(client, account)
    frozen_clock.advance(seconds=61)
    assert "Signed audit checkpoint 2" in run(runner, "sweep").output
    assert "No checkpoint due." in run(runner, "checkpoint").output
