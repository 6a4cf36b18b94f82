"""Shared steps of the MR decision watch tests: a signed-in adviser turning the watch on, and a
decision arriving through the one domain entry point."""

from __future__ import annotations

from datetime import UTC, date, datetime

import jwt
from flask import current_app
from flask.testing import FlaskClient

from broker import clock, services, sweep
from broker.casework import decisions
from broker.consent import clients
from broker.extensions import db
from broker.messages import push
from broker.models import Claimant, MRDecision
from tests.conftest import csrf_from
from tests.factories import bound
from tests.lifecycle.senders import Collecting
from tests.watch.receiver import Receiver

# A moment after every decision date the tests use, so none of them is in the future.
LATER = datetime(2028, 3, 1, 10, 0, tzinfo=UTC)
CLIENT_ID = "riverside-cases"


def register_case_system(receiver: Receiver, scope_names: str = "mr:read journal:read") -> str:
    """Riverside's case system, registered with a push endpoint at the receiver; its secret.
    The receiver is on 127.0.0.1, so pushes to loopback are allowed (BROKER_PUSH_ALLOW_LOOPBACK)."""
    current_app.config["BROKER_PUSH_ALLOW_LOOPBACK"] = True
    _client, secret = clients.register(
        "Riverside case system",
        organisation=clients.organisation_named("Riverside Law Centre"),
        redirect_uris=["https://cases.riverside.example/callback"],
        scope_names=scope_names,
        grant_types=[clients.CODE_GRANT, clients.REFRESH_GRANT],
        auth_method="client_secret_basic",
        now=clock.now(),
        client_id=CLIENT_ID,
        push_endpoint=receiver.url,
        allow_loopback_push=True,
    )
    db.session.commit()
    assert secret is not None
    return secret


def run_sweep(receiver: Receiver) -> sweep.SweepReport:
    """A sweep that pushes to the receiver (and sends messages nowhere)."""
    return sweep.run(
        now=clock.now(),
        sender=Collecting(),
        services=bound(),
        checkpoint=False,
        pusher=push.Pusher(receiver.ca_bundle, allow_loopback=True),
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


def pushed_events(receiver: Receiver) -> list[tuple[str, dict]]:
    """Every SET the receiver was sent, as (event type, event), in order; unverified (the
    tests that verify signatures do so against the JWKS themselves)."""
    return [
        (uri, event)
        for received in receiver.received
        for uri, event in jwt.decode(received.body, options={"verify_signature": False})[
            "events"
        ].items()
    ]


def decisions_pushed(receiver: Receiver) -> list[str]:
    """The IDs of the decisions the receiver was told of (CAEP events left out)."""
    return [e["decision_id"] for uri, e in pushed_events(receiver) if "decision_id" in e]
