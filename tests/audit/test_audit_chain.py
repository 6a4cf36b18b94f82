"""The audit log is a per-claimant hash chain: verify-audit finds any changed, removed or
reordered row, names the claimant and exits non-zero; concurrent requests never fork a chain."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import text

from broker.chain import audit
from broker.extensions import db
from broker.models import AuditEvent, JournalEntry
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)


def _read_n_times(client, token: str, decision_id: str, n: int) -> None:  # noqa: ANN001
    for _ in range(n):
        assert (
            client.get(f"/api/v1/mr-decisions/{decision_id}", headers=bearer(token)).status_code
            == 200
        )


@pytest.fixture
def two_chains(ctx, client):  # noqa: ANN201
    first, second = make_claimant("First"), make_claimant("Second")
    adviser = make_adviser()
    for claimant in (first, second):
        grant = make_grant(claimant, adviser)
        token, _ = issue_token(grant)
        _read_n_times(client, token, make_decision(claimant).id, 4)
    return first, second


def test_an_untouched_log_verifies(runner, two_chains):
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert "Every audit chain is intact" in result.output


def test_editing_one_row_names_that_claimant_and_exits_non_zero(runner, two_chains):
    first, second = two_chains
    db.session.execute(
        text(
            "UPDATE audit_events SET outcome = 'allowed', resource = 'x' "
            "WHERE claimant_id = :c AND seq = 3"
        ),
        {"c": first.reference and first.id},
    )
    db.session.commit()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"BROKEN claimant {first.id} ({first.reference}) at event 3" in result.output
    assert second.id not in result.output


def test_deleting_one_row_is_detected(runner, two_chains):
    first, _ = two_chains
    db.session.execute(
        text("DELETE FROM audit_events WHERE claimant_id = :c AND seq = 2"), {"c": first.id}
    )
    db.session.commit()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"BROKEN claimant {first.id}" in result.output


def test_deleting_the_newest_row_is_detected_by_the_chain_head(runner, two_chains):
    _, second = two_chains
    last = db.session.scalar(
        db.select(db.func.max(AuditEvent.seq)).where(AuditEvent.claimant_id == second.id)
    )
    db.session.execute(
        text("DELETE FROM audit_events WHERE claimant_id = :c AND seq = :s"),
        {"c": second.id, "s": last},
    )
    db.session.commit()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"BROKEN claimant {second.id}" in result.output


def test_swapping_two_rows_is_detected(runner, two_chains):
    first, _ = two_chains
    rows = db.session.execute(
        text(
            "SELECT seq, action, resource FROM audit_events "
            "WHERE claimant_id = :c AND seq IN (1, 5) ORDER BY seq"
        ),
        {"c": first.id},
    ).all()
    (s1, a1, r1), (s2, a2, r2) = rows
    for seq, action, resource in ((s1, a2, r2), (s2, a1, r1)):
        db.session.execute(
            text(
                "UPDATE audit_events SET action = :a, resource = :r "
                "WHERE claimant_id = :c AND seq = :s"
            ),
            {"a": action, "r": resource, "c": first.id, "s": seq},
        )
    db.session.commit()

    assert runner.invoke(args=["verify-audit"]).exit_code == 1


def test_many_concurrent_reads_for_one_claimant_leave_one_unbroken_chain(ctx, live_server):
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser())
    decision = make_decision(claimant)
    tokens = [issue_token(grant)[0] for _ in range(4)]
    decision_id, claimant_id = decision.id, claimant.id
    db.session.rollback()  # hold no transaction while the server works
    failures: list[object] = []

    def reader(token: str) -> None:
        try:
            with httpx.Client(base_url=live_server, timeout=30) as http:
                for _ in range(10):
                    status = http.get(
                        f"/api/v1/mr-decisions/{decision_id}", headers=bearer(token)
                    ).status_code
                    if status != 200:
                        failures.append(status)
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            failures.append(exc)

    threads = [threading.Thread(target=reader, args=(t,)) for t in tokens for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    seqs = db.session.scalars(
        db.select(AuditEvent.seq)
        .where(AuditEvent.claimant_id == claimant_id)
        .order_by(AuditEvent.seq)
    ).all()
    assert seqs == list(range(1, 82))  # the grant's creation, then 80 reads, no gaps or repeats
    with db.engine.connect() as connection:
        assert list(audit.verify(connection)) == []


def test_if_the_audit_cannot_be_written_the_request_fails_and_nothing_changes(
    ctx, client, monkeypatch
):
    claimant = make_claimant()
    token, _ = issue_token(make_grant(claimant, make_adviser(), "mr:read mr:request"))
    before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))

    def broken_append(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise audit.AuditWriteFailed("disk full")

    monkeypatch.setattr(audit, "append", broken_append)
    response = client.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": "LCW", "reasons": "The decision is wrong."},
    )
    monkeypatch.undo()

    assert response.status_code >= 500
    assert response.json["error"] in ("server_error", "temporarily_unavailable")
    assert "token_id" not in response.json
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(JournalEntry)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == before


def test_if_the_audit_cannot_be_written_a_read_returns_nothing(ctx, client, monkeypatch):
    claimant = make_claimant()
    decision = make_decision(claimant)
    token, _ = issue_token(make_grant(claimant, make_adviser()))

    def broken_append(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise audit.AuditWriteFailed("disk full")

    monkeypatch.setattr(audit, "append", broken_append)
    response = client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))

    assert response.status_code >= 500
    assert decision.subject not in response.text
