from __future__ import annotations

from types import SimpleNamespace

import pytest

from broker import clock, contact, notify, sweep
from broker.extensions import db
from broker.models import Delivery, OutboxMessage
from tests.factories import bound, make_adviser, make_claimant, make_staff


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    return SimpleNamespace(
        claimant=make_claimant("Alex Morgan"),
        adviser=make_adviser("Priya Shah", "Northside Citizens Advice"),
        staff=make_staff("Jordan Lee"),
    )


class RecordingSender:
    """Keeps what it was given (the real Sender interface); the SMTP and Notify tests use real
    servers instead."""

    def __init__(self) -> None:
        self.sent: list[notify.Message] = []

    def send(self, message: notify.Message) -> None:
        self.sent.append(message)


def run_sweep(sender) -> sweep.SweepReport:  # noqa: ANN001
    return sweep.run(now=clock.now(), sender=sender, services=bound(), checkpoint=False)


def deliveries(account_id: str, channel: str | None = None) -> list[Delivery]:
    db.session.expire_all()
    query = (
        db.select(Delivery)
        .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .where(OutboxMessage.account_id == account_id)
        .order_by(OutboxMessage.created_at, Delivery.channel)
    )
    if channel:
        query = query.where(Delivery.channel == channel)
    return list(db.session.scalars(query))


def queue_test_message(account_id: str, body: str, kind: str = "grant_suspended") -> None:
    notify.queue(
        account_id=account_id,
        kind=kind,
        body=body,
        dedupe_key=f"test:{body}:{account_id}",
        now=clock.now(),
    )
    db.session.commit()


def choose(claimant_id: str, mobile: str = "", language: str = "en", **channels: list[str]) -> None:
    contact.save(claimant_id, channels, mobile=mobile, language=language, now=clock.now())
    db.session.commit()
