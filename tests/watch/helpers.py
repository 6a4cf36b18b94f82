"""Shared steps of the MR decision watch tests: a signed-in adviser turning the watch on, and a
decision arriving through the one domain entry point."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app
from flask.testing import FlaskClient

from broker import decisions, services
from broker.extensions import db
from broker.models import AuditEvent, Claimant, MRDecision, OutboxMessage
from tests.conftest import csrf_from

# A moment after every decision date the tests use, so none of them is in the future.
LATER = datetime(2028, 3, 1, 10, 0, tzinfo=UTC)


def turn_on(client: FlaskClient, grant_id: str, switch: str = "watch") -> None:
    page = client.get(f"/adviser/clients/{grant_id}")
    answer = client.post(
        f"/adviser/clients/{grant_id}/{switch}", data={"csrf_token": csrf_from(page.text)}
    )
    assert answer.status_code == 303, answer.text


def arrives(
    claimant: Claimant, decided_on: date, outcome: str = "not_changed", *, now: datetime = LATER
) -> MRDecision:
    decision = decisions.add_mr_decision(
        claimant,
        outcome=outcome,
        decided_on=decided_on,
        subject="Limited capability for work",
        by="system:test",
        now=now,
        signer=services.of(current_app).tokens,
    )
    db.session.commit()
    return decision


def messages_to(account_id: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(OutboxMessage)
            .where(OutboxMessage.account_id == account_id)
            .order_by(OutboxMessage.created_at)
        )
    )


def events(claimant_id: str, action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.claimant_id == claimant_id, AuditEvent.action == action)
            .order_by(AuditEvent.seq)
        )
    )
