"""Agencies in tests: a broker admin, an organisation with an admin adviser, a client of one of
its advisers with a token under the grant."""

from __future__ import annotations

import re
from types import SimpleNamespace

from flask import Flask

from broker import clock
from broker.extensions import db
from broker.models import Account, Adviser, AuditEvent, OutboxMessage
from broker.people import accounts, invitations, organisations
from tests.factories import PASSWORD, bound, make_claimant, make_grant

LINK = re.compile(r"/invitations/([A-Za-z0-9_-]+)")


def make_admin(username: str = "robin@broker.example") -> Account:
    account = accounts.create_account(
        username, PASSWORD, "admin", "Robin Admin", clock.now(), hasher=bound().hasher
    )
    db.session.commit()
    return account


def make_agency(name: str = "Northside Citizens Advice", prefix: str = "NSA") -> SimpleNamespace:
    """An organisation with an admin (Olu) and an adviser (Priya) who has a client (Alex)."""
    now = clock.now()
    org = organisations.create(
        name,
        kind="citizens_advice",
        mark_scheme="aqs",
        mark_number="AQS1234",
        code_prefix=prefix,
        by="test",
        now=now,
    )
    admin = _join(org, f"olu@{prefix.lower()}.example", "Olu Admin", as_admin=True)
    priya = _join(org, f"priya@{prefix.lower()}.example", "Priya Shah")
    db.session.commit()
    alex = make_claimant("Alex Morgan")
    grant = make_grant(alex, priya, "mr:read journal:read")
    return SimpleNamespace(org=org, admin=admin, priya=priya, alex=alex, grant=grant)


def _join(org, email: str, name: str, *, as_admin: bool = False) -> Adviser:  # noqa: ANN001
    _, token = invitations.invite(org, email, by="test", now=clock.now(), as_admin=as_admin)
    return invitations.accept(
        token, name=name, password=PASSWORD * 2, now=clock.now(), hasher=bound().hasher
    )


def invitation_link(app: Flask, email: str) -> str:
    """The path of the last invitation link queued for this address (the outbox's body)."""
    from broker.models import Delivery

    with app.app_context():
        body = db.session.scalar(
            db.select(OutboxMessage.body)
            .join(Delivery, Delivery.message_id == OutboxMessage.id)
            .where(Delivery.address == email, OutboxMessage.kind == "adviser_invitation")
            .order_by(OutboxMessage.created_at.desc())
        )
    assert body, f"no invitation queued for {email}"
    match = LINK.search(body)
    assert match
    return match.group(0)


def actions_on(chain_id: str) -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEvent.action)
            .where(AuditEvent.claimant_id == chain_id)
            .order_by(AuditEvent.seq)
        )
    )
