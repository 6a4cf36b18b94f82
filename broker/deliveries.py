"""The queue of Security Event Tokens waiting to be pushed to case systems, and the record of
each try. The sweep drives it (broker/sweep.py): `due`, then for each one `prepare` (in a
transaction), the POST (outside any transaction), and `record` (in another).

Every try is an audit event in the claimant's chain, under the grant and token of the watch:
a delivered SET is a read of the decision (`allowed`); a failed one says how it failed. A SET
whose grant has stopped, no longer allows reading decisions, or whose window no longer reaches
the decision's date, is never sent (broker/disclosure.py): it is given up, and that is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement

from . import audit, disclosure, push, watches
from .extensions import db
from .models import Grant, MRDecision, MRDecisionNotice, MRDecisionWatch, PushDelivery


@dataclass(frozen=True, slots=True)
class Pending:
    id: str
    endpoint: str
    token: str


def _waiting() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return PushDelivery.delivered_at.is_(None), PushDelivery.given_up_at.is_(None)


def due(now: datetime, *, limit: int) -> list[str]:
    """Deliveries whose next try is due, oldest due first."""
    return list(
        db.session.scalars(
            db.select(PushDelivery.id)
            .where(*_waiting(), PushDelivery.next_attempt_at <= now)
            .order_by(PushDelivery.next_attempt_at, PushDelivery.id)
            .limit(limit)
        )
    )


def _parts(delivery_id: str) -> tuple[PushDelivery, MRDecisionNotice, MRDecisionWatch] | None:
    row = db.session.execute(
        db.select(PushDelivery, MRDecisionNotice, MRDecisionWatch)
        .join(MRDecisionNotice, MRDecisionNotice.id == PushDelivery.notice_id)
        .join(MRDecisionWatch, MRDecisionWatch.id == MRDecisionNotice.watch_id)
        .where(PushDelivery.id == delivery_id, *_waiting())
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def prepare(delivery_id: str, *, now: datetime) -> Pending | None:
    """The SET to send now, or None: already done, or its grant no longer allows it (then it
    is given up and audited). Locks the claimant's chain head so a revoke is seen. No commit."""
    parts = _parts(delivery_id)
    if parts is None:
        return None
    delivery, notice, watch = parts
    audit.lock_head(db.session.connection(), watch.claimant_id)
    grant = db.session.get(Grant, watch.grant_id)
    assert grant is not None  # a foreign key
    db.session.refresh(grant)
    decision = db.session.get(MRDecision, notice.decision_id)
    assert decision is not None  # a foreign key
    # Asked again at the moment of telling: the window may have narrowed since it was queued.
    reason = watches.why_not(grant, now, decision.decided_at)
    if reason is not None:
        delivery.given_up_at, delivery.last_error = now, reason
        _audit(watch, notice, f"refused:{reason}", now)
        if watch.ended_at is None and reason != disclosure.OUTSIDE_WINDOW:
            watches.end(watch, reason, now=now)
        db.session.flush()
        return None
    return Pending(delivery.id, delivery.endpoint, delivery.token)


def record(delivery_id: str, answer: push.Answer, *, now: datetime) -> None:
    """Audit one try and move the delivery on: delivered, given up, or due again later with a
    doubled wait. No commit: the event and the change go together."""
    parts = _parts(delivery_id)
    if parts is None:
        return
    delivery, notice, watch = parts
    _audit(watch, notice, answer.outcome, now)
    delivery.attempts += 1
    if answer.delivered:
        delivery.delivered_at, delivery.last_error = now, None
    elif answer.permanent or delivery.attempts >= push.MAX_ATTEMPTS:
        delivery.given_up_at, delivery.last_error = now, answer.detail[:500] or answer.outcome
    else:
        delivery.next_attempt_at = now + push.wait_after(delivery.attempts)
        delivery.last_error = answer.detail[:500] or answer.outcome
    db.session.flush()


def _audit(watch: MRDecisionWatch, notice: MRDecisionNotice, outcome: str, now: datetime) -> None:
    audit.append(
        audit.Event(
            claimant_id=watch.claimant_id,
            token_id=watch.token_id,
            grant_id=watch.grant_id,
            actor=f"client:{watch.client_id}",
            action="mr_decision.pushed",
            resource=f"mr_decision:{notice.decision_id}",
            outcome=outcome,
        ),
        now=now,
    )
