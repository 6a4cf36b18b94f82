"""Shared steps of the MR decision watch tests: a signed-in adviser turning the watch on, and a
decision arriving through the one domain entry point."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app
from flask.testing import FlaskClient

from broker import clients, clock, decisions, push, services, sweep
from broker.extensions import db
from broker.models import AuditEvent, Claimant, MRDecision, OutboxMessage
from tests.conftest import csrf_from
from tests.factories import bound
from tests.lifecycle.senders import Collecting
from tests.watch.receiver import Receiver

# A moment after every decision date the tests use, so none of them is in the future.
LATER = datetime(2028, 3, 1, 10, 0, tzinfo=UTC)
CLIENT_ID = "riverside-cases"


def register_case_system(receiver: Receiver, scope_names: str = "mr:read journal:read") -> None:
    """Riverside's case system, registered with a push endpoint at the receiver."""
    clients.register(
        "Riverside case system",
        organisation=clients.organisation_named("Riverside Law Centre"),
        redirect_uris=["https://cases.riverside.example/callback"],
        scope_names=scope_names,
        grant_types=[clients.CODE_GRANT, clients.REFRESH_GRANT],
        auth_method="client_secret_basic",
        now=clock.now(),
        client_id=CLIENT_ID,
        push_endpoint=receiver.url,
    )
    db.session.commit()


def run_sweep(receiver: Receiver) -> sweep.SweepReport:
    """A sweep that pushes to the receiver (and sends messages nowhere)."""
    return sweep.run(
        now=clock.now(),
        sender=Collecting(),
        services=bound(),
        checkpoint=False,
        pusher=push.Pusher(receiver.ca_bundle),
    )


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
