"""The queue of Security Event Tokens waiting to be pushed to case systems, and the record of
each try. The sweep drives it (broker/sweep.py): `due`, then for each one `prepare` (in a
transaction), the POST (outside any transaction), and `record` (in another).

Two kinds wait here: a decision's SET (broker/casework/watches.py) and an OpenID CAEP event telling
a case system that its access changed (broker/messages/access_changes.py). Every try is an audit
event in the claimant's chain, under the grant (and, for a decision, the watch's token), as the
delivery row names it: a delivered decision is a read of it (`allowed`); a failed try says how it
failed. A decision's SET whose grant has stopped, no longer allows reading decisions, or whose
window no longer reaches the decision's date, is never sent (broker/consent/disclosure.py): it is
given up, and that is audited. A CAEP event is always sent: it tells the holder only of their own
access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement

from .. import metrics
from ..chain import audit
from ..consent import disclosure, grants
from ..extensions import db
from ..messages import push
from ..models import Grant, MRDecision, MRDecisionNotice, MRDecisionWatch, PushDelivery
from . import item_watches, watches


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


def waiting(now: datetime) -> tuple[int, int]:
    """How many SETs wait to be delivered, and how many of those are due now."""
    total, due_now = db.session.execute(
        db.select(
            db.func.count(),
            db.func.count().filter(PushDelivery.next_attempt_at <= now),
        ).where(*_waiting())
    ).one()
    return total, due_now


def _waiting_one(delivery_id: str) -> PushDelivery | None:
    return db.session.scalar(
        db.select(PushDelivery).where(PushDelivery.id == delivery_id, *_waiting())
    )


def prepare(delivery_id: str, *, now: datetime) -> Pending | None:
    """The SET to send now, or None: already done, or a decision its grant no longer allows
    telling (then it is given up and audited). Locks the claimant's chain head so a revoke is
    seen. No commit."""
    delivery = _waiting_one(delivery_id)
    if delivery is None:
        return None
    audit.lock_head(db.session.connection(), delivery.claimant_id)
    if delivery.notice_id is not None or delivery.item_notice_id is not None:
        reason = (
            _why_not_tell(delivery, now)
            if delivery.notice_id is not None
            else item_watches.why_not_push(delivery.item_notice_id or "", now)
        )
        if reason is not None:
            delivery.given_up_at, delivery.last_error = now, reason
            _audit(delivery, f"refused:{reason}", now)
            metrics.PUSH_ATTEMPTS.labels("withheld").inc()
            db.session.flush()
            return None
    return Pending(delivery.id, delivery.endpoint, delivery.token)


def _why_not_tell(delivery: PushDelivery, now: datetime) -> str | None:
    """The disclosure rule, asked again at the moment of telling (the window may have narrowed
    since it was queued); a watch its grant no longer allows is ended."""
    notice = db.session.get(MRDecisionNotice, delivery.notice_id)
    assert notice is not None  # a foreign key
    watch = db.session.get(MRDecisionWatch, notice.watch_id)
    decision = db.session.get(MRDecision, notice.decision_id)
    grant = db.session.get(Grant, delivery.grant_id)
    assert watch is not None and decision is not None and grant is not None  # foreign keys
    grants.lock(grant)
    reason = watches.why_not(grant, now, decision.decided_at)
    if reason is not None and watch.ended_at is None and reason != disclosure.OUTSIDE_WINDOW:
        watches.end(watch, reason, now=now)
    return reason


def record(delivery_id: str, answer: push.Answer, *, now: datetime) -> bool:
    """Audit one try and move the delivery on: delivered, given up, or due again later with a
    doubled wait. True if it was given up for good. No commit: the event and the change go
    together."""
    delivery = _waiting_one(delivery_id)
    if delivery is None:
        return False
    _audit(delivery, answer.outcome, now)
    delivery.attempts += 1
    if answer.delivered:
        delivery.delivered_at, delivery.last_error = now, None
    elif answer.permanent or delivery.attempts >= push.MAX_ATTEMPTS:
        delivery.given_up_at, delivery.last_error = now, answer.detail[:500] or answer.outcome
    else:
        delivery.next_attempt_at = now + push.wait_after(delivery.attempts)
        delivery.last_error = answer.detail[:500] or answer.outcome
    db.session.flush()
    given_up = delivery.given_up_at is not None
    result = "delivered" if answer.delivered else "given_up" if given_up else "retry"
    metrics.PUSH_ATTEMPTS.labels(result).inc()
    return given_up


def _audit(delivery: PushDelivery, outcome: str, now: datetime) -> None:
    audit.append(
        audit.Event(
            claimant_id=delivery.claimant_id,
            token_id=delivery.token_id,
            grant_id=delivery.grant_id,
            actor=f"client:{delivery.client_id}",
            action=delivery.action,
            resource=delivery.resource,
            outcome=outcome,
        ),
        now=now,
    )
