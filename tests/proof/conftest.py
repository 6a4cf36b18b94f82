"""A claimant whose account two advisers used, and helpers to tamper with the audit as an
attacker with write access to the database (but not the signing key) would."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from broker.chain import audit
from broker.extensions import db
from broker.models import Adviser, Claimant, Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)


@dataclass
class Account:
    claimant: Claimant
    other: Claimant
    priya: Adviser
    tom: Adviser
    priya_grant: Grant
    tom_grant: Grant
    priya_tokens: list[str]
    tom_tokens: list[str]


def read(client, token: str, decision_id: str, times: int = 1) -> None:  # noqa: ANN001
    for _ in range(times):
        assert (
            client.get(f"/api/v1/mr-decisions/{decision_id}", headers=bearer(token)).status_code
            == 200
        )


@pytest.fixture
def account(ctx, client) -> Account:  # noqa: ANN001
    """Alex's account: Priya read twice and was refused a write; Tom (another adviser) read
    three times. Another claimant has events of their own."""
    claimant, other = make_claimant("Alex Morgan"), make_claimant("Other Person")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    tom = make_adviser("Tom Reed", "Riverside Law Centre")
    priya_grant, tom_grant = make_grant(claimant, priya), make_grant(claimant, tom)
    decision = make_decision(claimant, "Limited capability for work")
    priya_token, priya_jti = issue_token(priya_grant)
    tom_token, tom_jti = issue_token(tom_grant)
    read(client, priya_token, decision.id, 2)
    refused = client.post(
        "/api/v1/mr-requests",
        headers=bearer(priya_token),
        json={"decision_about": "x", "reasons": "y"},
    )
    assert refused.status_code == 403
    read(client, tom_token, decision.id, 3)
    other_token, _ = issue_token(make_grant(other, tom))
    read(client, other_token, make_decision(other).id, 2)
    return Account(claimant, other, priya, tom, priya_grant, tom_grant, [priya_jti], [tom_jti])


def sql(statement: str, **params: object) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def rewrite_chain(
    claimant_id: str, change: dict[str, str] | None = None, upto: int | None = None, at: int = 3
) -> None:
    """Rewrite a claimant's chain as a careful attacker would: change fields, drop the events
    after `upto`, then recompute every hash and the head so that the chain itself verifies."""
    if upto is not None:
        sql("DELETE FROM audit_events WHERE claimant_id = :c AND seq > :s", c=claimant_id, s=upto)
    rows = db.session.execute(
        text(
            "SELECT seq, occurred_us, token_id, grant_id, actor, action, resource, outcome"
            " FROM audit_events WHERE claimant_id = :c ORDER BY seq"
        ),
        {"c": claimant_id},
    ).all()
    prev = audit.GENESIS
    for seq, occurred_us, token_id, grant_id, actor, action, resource, outcome in rows:
        fields = {"action": action, "resource": resource, "outcome": outcome, "actor": actor}
        fields.update((change or {}) if seq == at else {})
        content = audit.canonical(
            claimant_id,
            seq,
            occurred_us,
            token_id,
            grant_id,
            fields["actor"],
            fields["action"],
            fields["resource"],
            fields["outcome"],
        )
        digest = hashlib.sha256(prev + content).digest()
        db.session.execute(
            text(
                "UPDATE audit_events SET actor = :ac, action = :a, resource = :r, outcome = :o,"
                " prev_hash = :p, hash = :h WHERE claimant_id = :c AND seq = :s"
            ),
            {
                "ac": fields["actor"],
                "a": fields["action"],
                "r": fields["resource"],
                "o": fields["outcome"],
                "p": prev,
                "h": digest,
                "c": claimant_id,
                "s": seq,
            },
        )
        prev = digest
    db.session.execute(
        text("UPDATE audit_heads SET seq = :s, hash = :h WHERE claimant_id = :c"),
        {"s": len(rows), "h": prev, "c": claimant_id},
    )
    db.session.commit()


def download_statement(
    client,
    adviser: Adviser,
    grant: Grant,  # noqa: ANN001
    date_from: str = "2000-01-01",
    date_to: str = "2100-01-01",
    seal: bool = True,
) -> dict:
    """Sign in as the adviser and download their signed statement, as they would; first, as
    cron would within a minute, sign a checkpoint if anything changed (`seal`)."""
    if seal:
        result = client.application.test_cli_runner().invoke(args=["checkpoint", "--force"])
        assert result.exit_code == 0, result.output
        db.session.rollback()
    sign_in(client, adviser.account.username)
    page = client.get(f"/adviser/clients/{grant.id}/statement")
    assert page.status_code == 200, page.text
    response = client.post(
        f"/adviser/clients/{grant.id}/statement",
        data={
            "csrf_token": csrf_from(page.text),
            "date_from": date_from,
            "date_to": date_to,
            "download": "json",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Disposition"].startswith("attachment")
    return response.get_json()
