""" "This wasn't right" (issue 27 item 3): a claimant disputes one line of their history.

Opening a dispute pauses the grant the line is about at once (grants.pause, so its access tokens
die and both sides are told through the usual messages), asks the adviser for their signed
statement for that day, and puts it on staff's disputes list with the line's inclusion proof
against the latest checkpoint. Staff close it with an outcome: resumed (grants.restart), stopped
(grants.revoke) or passed on (the grant stays paused). The claimant gets the outcome as a signed
document and a message. Each step is an event on the claimant's chain, in the same transaction as
the step, so a failed audit write means the step did not happen.

A line not about a grant (a sign-in, say) can be disputed too; it pauses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from .. import clock, inputs
from ..chain import audit, checkpoints, signed
from ..chain.keys import Signer
from ..consent import grants
from ..extensions import db
from ..messages import notify
from ..models import AuditEvent, Claimant, Dispute, Grant, StaffMember

PAUSE, RESUME = "grant.dispute_pause", "grant.dispute_resume"
OPENED, ASKED, CLOSED = "dispute.open", "dispute.adviser_asked", "dispute.close"
RESUMED, STOPPED, PASSED_ON = "resumed", "stopped", "passed_on"
OUTCOMES = (RESUMED, STOPPED, PASSED_ON)
PAUSABLE = ("current", "review_overdue")  # grants.state_at of a grant that still works
RECEIPT_KIND = signed.DISPUTE  # /verify knows it (proof/verifying.py)
MOST_WORDS = 1000
PAUSE_REASON = "The claimant disputed a line of their history"
STOP_REASON = "Stopped after the claimant's dispute"
NO_WORDS = "Tell us what was wrong"
TOO_MANY_WORDS = "Use 1,000 characters or fewer"


class DisputeRefused(ValueError):
    """A dispute that cannot be opened or closed; the message says why, in plain words."""

    def __init__(self, message: str, field: str = "words") -> None:
        super().__init__(message)
        self.field = field


class AlreadyOpen(DisputeRefused):
    """A second dispute on a line while one is open."""


class EventNotFound(LookupError):
    """No such line in this claimant's history (another claimant's is not theirs to see)."""


def event_of(claimant_id: str, event_id: int) -> AuditEvent:
    """The claimant's own audit event, else EventNotFound (never a hint that it exists)."""
    event = db.session.get(AuditEvent, event_id)
    if event is None or event.claimant_id != claimant_id:
        raise EventNotFound(event_id)
    return event


def grant_of(event: AuditEvent) -> Grant | None:
    """The grant the line is about, if it is about one of the claimant's grants."""
    if not event.grant_id:
        return None
    grant = db.session.get(Grant, event.grant_id)
    return grant if grant is not None and grant.claimant_id == event.claimant_id else None


def open_for(event: AuditEvent) -> Dispute | None:
    return db.session.scalar(
        select(Dispute).where(Dispute.event_id == event.id, Dispute.closed_at.is_(None))
    )


def open_dispute(
    claimant: Claimant, event: AuditEvent, *, words: str, signer: Signer, now: datetime
) -> Dispute:
    """Open a dispute on `event` in the claimant's words: pause its grant if live, ask the
    adviser for their statement, audit each step. No commit."""
    words = words.strip()
    if not inputs.visible(words):  # security.md 82: blank or invisible text is no reason
        raise DisputeRefused(NO_WORDS)
    if len(words) > MOST_WORDS:
        raise DisputeRefused(TOO_MANY_WORDS)
    grant = grant_of(event)
    # Queue behind any other change to this claimant's chain (a second tap on Send among them),
    # then re-check: two disputes on one line cannot both open, with or without a grant.
    audit.lock_head(db.session.connection(), claimant.id)
    if grant is not None:
        grants.lock(grant)
    if open_for(event) is not None:
        raise AlreadyOpen("You have already told us this line was wrong. We are looking at it")
    paused = grant is not None and grants.state_at(grant, now) in PAUSABLE
    dispute = Dispute(
        claimant_id=claimant.id,
        event_id=event.id,
        grant_id=grant.id if grant else None,
        words=words,
        paused=paused,
        opened_at=now,
    )
    db.session.add(dispute)
    db.session.flush()
    _audit(dispute, f"claimant:{claimant.id}", OPENED, now)
    if grant is not None and paused:
        grants.pause(
            grant,
            reason=PAUSE_REASON,
            by=f"claimant:{claimant.id}",
            action=PAUSE,
            signer=signer,
            now=now,
        )
    if grant is not None and grant.adviser_id:
        notify.dispute_statement_asked(grant, dispute_id=dispute.id, day=_day_of(event), now=now)
        _audit(dispute, "system:disputes", ASKED, now)
    notify.dispute_opened(claimant.id, grant, dispute_id=dispute.id, paused=paused, now=now)
    return dispute


def close(
    dispute: Dispute, *, outcome: str, staff: StaffMember, signer: Signer, now: datetime
) -> Dispute:
    """Close an open dispute with staff's outcome, act on its grant, sign the outcome for the
    claimant and tell them. No commit."""
    if outcome not in OUTCOMES:
        raise DisputeRefused("Choose an outcome", field="outcome")
    grant = db.session.get(Grant, dispute.grant_id) if dispute.grant_id else None
    audit.lock_head(db.session.connection(), dispute.claimant_id)  # two staff closing at once
    if grant is not None:
        grants.lock(grant)
    db.session.refresh(dispute)
    if dispute.closed_at is not None:
        raise DisputeRefused("This dispute is already closed", field="outcome")
    by = f"staff:{staff.id}"
    # Closed first: an open dispute's pause refuses every restart (grants.held_by_dispute),
    # this one's own included.
    dispute.closed_at, dispute.outcome, dispute.closed_by_staff_id = now, outcome, staff.id
    db.session.flush()
    result = "nothing"
    held = grant is not None and dispute.paused and grant.status == grants.SUSPENDED
    if grant is not None and held and outcome == RESUMED:
        # Only the pause this dispute made is undone: not DWP's suspension, not an agency's hold.
        if (
            grant.agency_hold is None
            and grant.suspended_by_staff_id is None
            and now < grant.ends_at
        ):
            grants.restart(grant, by=by, action=RESUME, signer=signer, now=now)
            result = "restarted"
    elif grant is not None and outcome == STOPPED and grant.status not in grants.ENDED:
        grants.revoke(grant, signer=signer, by=by, now=now, reason=STOP_REASON)
        result = "stopped"
    elif held and outcome == PASSED_ON:
        result = "still_paused"
    dispute.receipt = signed.sign(_receipt(dispute, signer.issuer), RECEIPT_KIND, signer.key)
    _audit(dispute, by, CLOSED, now, outcome=outcome)
    notify.dispute_closed(dispute.claimant_id, grant, dispute_id=dispute.id, result=result, now=now)
    return dispute


def outcome_file(dispute: Dispute) -> dict[str, Any] | None:
    """A closed dispute's signed outcome as the claimant downloads it (None while open): the
    JWS, and beside it what it says, which /verify checks is the same."""
    if dispute.receipt is None:
        return None
    return {"dispute": signed.unverified_payload(dispute.receipt), "jws": dispute.receipt}


def waiting() -> list[Dispute]:
    """Open disputes, oldest first: staff's list."""
    return list(
        db.session.scalars(
            select(Dispute).where(Dispute.closed_at.is_(None)).order_by(Dispute.opened_at)
        )
    )


def days_asked(grant_id: str) -> list[datetime]:
    """When each line disputed on this grant (and still open) happened: the days its adviser
    is asked to make their statement for, oldest first."""
    rows = db.session.execute(
        select(AuditEvent.occurred_us)
        .join(Dispute, Dispute.event_id == AuditEvent.id)
        .where(Dispute.grant_id == grant_id, Dispute.closed_at.is_(None))
        .order_by(AuditEvent.occurred_us)
    ).scalars()
    return [clock.from_micros(us) for us in rows]


def one(claimant_id: str | None, dispute_id: str) -> Dispute | None:
    """The dispute, if it is this claimant's (None: any claimant's, for staff)."""
    row = db.session.get(Dispute, dispute_id)
    if row is None or (claimant_id is not None and row.claimant_id != claimant_id):
        return None
    return row


def of_claimant(claimant_id: str) -> list[Dispute]:
    return list(
        db.session.scalars(
            select(Dispute)
            .where(Dispute.claimant_id == claimant_id)
            .order_by(Dispute.opened_at.desc())
        )
    )


@dataclass(frozen=True)
class Proof:
    """The disputed line's place under the latest checkpoint: the chain leaf that covers it
    and the leaf's audit path to the checkpoint's signed root. `sealed` False: no checkpoint
    covers the line yet (the next one will)."""

    sealed: bool
    checkpoint_seq: int = 0
    root: str = ""
    tree_size: int = 0
    index: int = 0
    chain_seq: int = 0
    leaf_hash: str = ""
    path: tuple[str, ...] = ()


def inclusion(event: AuditEvent) -> Proof:
    latest = checkpoints.latest()
    if latest is None:
        return Proof(sealed=False)
    found = checkpoints.leaf_at(event.claimant_id, latest.seq)
    if found is None or found[1].seq < event.seq:
        return Proof(sealed=False)
    index, leaf = found
    return Proof(
        sealed=True,
        checkpoint_seq=latest.seq,
        root=bytes(latest.root).hex(),
        tree_size=latest.tree_size,
        index=index,
        chain_seq=leaf.seq,
        leaf_hash=leaf.leaf_hash().hex(),
        path=tuple(h.hex() for h in checkpoints.inclusion_proof(index, latest)),
    )


def _day_of(event: AuditEvent) -> datetime:
    return clock.from_micros(event.occurred_us)


def _receipt(dispute: Dispute, issuer: str) -> dict[str, Any]:
    claimant = db.session.get(Claimant, dispute.claimant_id)
    event = db.session.get(AuditEvent, dispute.event_id)
    assert claimant is not None and event is not None  # foreign keys
    return {
        "iss": issuer,
        "dispute_id": dispute.id,
        "claimant": {"id": claimant.id, "reference": claimant.reference},
        "event": {"seq": event.seq, "action": event.action, "grant_id": event.grant_id},
        "opened_at": dispute.opened_at.isoformat(),
        "closed_at": dispute.closed_at.isoformat() if dispute.closed_at else None,
        "outcome": dispute.outcome,
    }


def _audit(dispute: Dispute, actor: str, action: str, now: datetime, outcome: str = "done") -> None:
    # No grant_id: these lines are about the dispute, so they do not join a grant's history.
    audit.append(
        audit.untokened(
            dispute.claimant_id, actor, action, f"dispute:{dispute.id}", outcome=outcome
        ),
        now=now,
    )
