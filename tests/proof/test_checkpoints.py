"""Signed checkpoints: made by the sweep and the checkpoint command, published newest first,
and verify-audit compares every chain with the latest. Attacks by someone who can write to the
database but cannot sign are each detected and named."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from broker.chain import checkpoints, signed
from broker.extensions import db
from tests.factories import bearer, issue_token
from tests.proof.conftest import rewrite_chain, sql


def checkpoint(runner) -> None:  # noqa: ANN001
    result = runner.invoke(args=["checkpoint", "--force"])
    assert result.exit_code == 0, result.output
    assert "Signed checkpoint" in result.output


def verify_audit(runner):  # noqa: ANN001, ANN201
    return runner.invoke(args=["verify-audit"])


def test_the_sweep_signs_a_checkpoint_that_is_published_newest_first(account, runner, client):
    assert "Signed audit checkpoint 1" in runner.invoke(args=["sweep"]).output
    assert "Signed audit checkpoint" not in runner.invoke(args=["sweep"]).output  # no change
    client.get("/api/v1/mr-decisions")  # (an anonymous call is not audited: still no change)
    checkpoint(runner)

    body = client.get("/api/v1/audit/checkpoints").get_json()  # public: no sign-in, no token

    assert [c["seq"] for c in body["checkpoints"]] == [2, 1]
    newest, oldest = body["checkpoints"]
    assert newest["prev"] == checkpoints.checkpoint_hash(oldest["jws"]).hex()
    claims = signed.verify(
        newest["jws"], signed.CHECKPOINT, client.get("/.well-known/jwks.json").get_json()
    )
    assert claims["tree_size"] == 2  # two claimants' chains
    assert claims["events"] == newest["events"] > 10
    assert claims["root"] == newest["root"]


def test_the_checkpoint_command_signs_only_when_events_were_added(account, runner, app):
    checkpoint(runner)
    result = runner.invoke(args=["checkpoint"])
    assert "No checkpoint due." in result.output
    assert checkpoints.latest().seq == 1


def test_an_untouched_audit_matches_its_checkpoint(account, runner):
    checkpoint(runner)
    result = verify_audit(runner)
    assert result.exit_code == 0, result.output
    assert "Every chain matches signed checkpoint 1" in result.output


@pytest.mark.parametrize("attack", ["edit", "delete", "reorder", "append"])
def test_a_changed_row_is_detected_and_named(account, runner, attack):
    checkpoint(runner)
    c = account.claimant.id
    if attack == "edit":
        sql(
            "UPDATE audit_events SET outcome = 'refused:scope' WHERE claimant_id = :c AND seq = 4",
            c=c,
        )
    elif attack == "delete":
        sql("DELETE FROM audit_events WHERE claimant_id = :c AND seq = 4", c=c)
    elif attack == "reorder":
        sql("UPDATE audit_events SET seq = -1 WHERE claimant_id = :c AND seq = 4", c=c)
        sql("UPDATE audit_events SET seq = 4 WHERE claimant_id = :c AND seq = 5", c=c)
        sql("UPDATE audit_events SET seq = 5 WHERE claimant_id = :c AND seq = -1", c=c)
    else:
        sql(
            "INSERT INTO audit_events (claimant_id, seq, occurred_us, token_id, grant_id, actor,"
            " action, resource, outcome, prev_hash, hash) SELECT claimant_id, seq + 1,"
            " occurred_us, token_id, grant_id, actor, action, resource, outcome, hash, hash"
            " FROM audit_events WHERE claimant_id = :c AND seq = (SELECT max(seq) FROM"
            " audit_events WHERE claimant_id = :c)",
            c=c,
        )

    result = verify_audit(runner)

    assert result.exit_code == 1
    assert f"BROKEN claimant {c} ({account.claimant.reference})" in result.output
    assert account.other.id not in result.output


def test_a_whole_chain_rewritten_with_recomputed_hashes_is_caught_by_the_checkpoint(
    account, runner
):
    checkpoint(runner)
    rewrite_chain(account.claimant.id, {"outcome": "refused:scope"})

    result = verify_audit(runner)

    assert result.exit_code == 1
    assert (
        f"BROKEN claimant {account.claimant.id} ({account.claimant.reference}) at event"
        in result.output
    )
    assert "differs from the one checkpoint 1 signed (the chain was rewritten)" in result.output
    assert account.other.id not in result.output


def test_truncating_the_newest_events_is_caught_by_the_checkpoint(account, runner):
    checkpoint(runner)
    rewrite_chain(account.claimant.id, upto=3)  # drop the newest events, fix up the head

    result = verify_audit(runner)

    assert result.exit_code == 1
    assert "which is no longer there (events were removed)" in result.output
    assert account.claimant.id in result.output


def test_swapping_two_claimants_chains_is_detected(account, runner):
    checkpoint(runner)
    a, b = account.claimant.id, account.other.id
    sql("UPDATE audit_events SET claimant_id = 'swap' WHERE claimant_id = :a", a=a)
    sql("UPDATE audit_events SET claimant_id = :a WHERE claimant_id = :b", a=a, b=b)
    sql("UPDATE audit_events SET claimant_id = :b WHERE claimant_id = 'swap'", b=b)
    for claimant_id in (a, b):  # then recompute both chains as a careful attacker would
        rewrite_chain(claimant_id)

    result = verify_audit(runner)

    assert result.exit_code == 1
    assert f"BROKEN claimant {a}" in result.output and f"BROKEN claimant {b}" in result.output


def test_a_fork_after_the_checkpoint_cannot_be_signed(account, runner, client):  # noqa: ANN001
    checkpoint(runner)
    rewrite_chain(account.claimant.id, {"action": "mr.request"})  # rewritten history
    token, _ = issue_token(account.priya_grant)
    client.get("/api/v1/mr-decisions", headers=bearer(token))  # the chain moves on from it

    result = runner.invoke(args=["checkpoint", "--force"])

    assert result.exit_code != 0
    assert "Refused to sign over a broken chain" in result.output
    assert checkpoints.latest().seq == 1


def test_a_fork_that_kept_its_length_is_never_signed(account, runner):  # noqa: ANN001
    """The checkpointer reads only the chains that moved, so it does not see a rewrite that
    kept the chain's length: it signs the head it sealed before, and verify-audit names it."""
    checkpoint(runner)
    sealed = checkpoints.leaf_at(account.claimant.id, 1)
    rewrite_chain(account.claimant.id, {"action": "mr.request"})

    checkpoint(runner)

    assert checkpoints.leaf_at(account.claimant.id, 2) == sealed
    result = verify_audit(runner)
    assert result.exit_code == 1
    assert f"BROKEN claimant {account.claimant.id}" in result.output


def test_changing_the_kept_chain_heads_to_match_a_rewrite_is_detected(account, runner):
    checkpoint(runner)
    rewrite_chain(account.claimant.id, {"outcome": "refused:scope"})
    head = db.session.execute(
        text("SELECT seq, hash FROM audit_heads WHERE claimant_id = :c"), {"c": account.claimant.id}
    ).one()
    sql(
        "UPDATE checkpoint_leaves SET hash = :h WHERE claimant_id = :c",
        h=head.hash,
        c=account.claimant.id,
    )

    result = verify_audit(runner)

    assert result.exit_code == 1
    assert "do not add up to its signed root (they were changed)" in result.output


@pytest.mark.parametrize("attack", ["resign", "delete", "edit"])
def test_a_changed_checkpoint_is_detected(account, runner, attack):
    checkpoint(runner)
    checkpoint(runner)
    if attack == "resign":  # a checkpoint signed with a key the broker never published
        from cryptography.hazmat.primitives.asymmetric import ec

        from broker.chain.keys import SigningKey

        rogue = SigningKey(ec.generate_private_key(ec.SECP256R1()), "rogue", {})
        row = checkpoints.latest()
        forged = signed.sign(
            json.loads(signed.canonical_json({"seq": 2})), signed.CHECKPOINT, rogue
        )
        sql("UPDATE audit_checkpoints SET jws = :j WHERE seq = :s", j=forged, s=row.seq)
        expected = "checkpoint 2: it was signed by a key the broker has not published"
    elif attack == "delete":
        sql("DELETE FROM audit_checkpoints WHERE seq = 1")
        expected = "checkpoint 1 is missing"
    else:
        sql("UPDATE audit_checkpoints SET event_count = 1 WHERE seq = 1")
        expected = "checkpoint 1: its columns differ from what was signed"

    result = verify_audit(runner)

    assert result.exit_code == 1
    assert expected in result.output


def test_the_checkpoints_endpoint_pages_and_refuses_nonsense(account, runner, client):
    checkpoint(runner)
    checkpoint(runner)
    older = client.get("/api/v1/audit/checkpoints?before=2").get_json()["checkpoints"]
    assert [c["seq"] for c in older] == [1]
    assert client.get("/api/v1/audit/checkpoints?limit=0").status_code == 400
    assert client.get("/api/v1/audit/checkpoints?before=x").json["error"] == "invalid_request"
