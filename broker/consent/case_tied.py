"""Access that ends when the case does: a consent given "until my reconsideration is decided".

When the claimant's Mandatory Reconsideration decision arrives (decisions.add_mr_decision calls
`decision_arrived`), each of their live grants tied to that event is given a new end: the end of
the UK day 31 days after the decision date, so the adviser can still help with an appeal (one
calendar month, never more than 31 days). The grant never ends later than it would have: the
six-month cap, or the sooner date chosen, still holds, and if no decision comes that is when it
ends. The grant then ends through the ordinary expiry (the sweep), like any other.

Only a decision dated on or after the day the grant started counts: an old decision added to the
journal late must not end a consent given for the reconsideration that is still open.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .. import clock
from ..chain.keys import Signer
from ..extensions import db
from ..models import Grant, MRDecision
from . import grants

APPEAL_DAYS = 31


def ends_after(decided_on: date) -> datetime:
    """The last moment of the UK day APPEAL_DAYS after the decision date."""
    return clock.start_of(decided_on + timedelta(days=APPEAL_DAYS + 1)) - timedelta(seconds=1)


def waiting(claimant_id: str, now: datetime) -> list[Grant]:
    """The claimant's live grants still waiting for their reconsideration to be decided."""
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(
                Grant.claimant_id == claimant_id,
                Grant.until_event == grants.MR_DECIDED,
                Grant.event_decision_id.is_(None),
                Grant.status.in_(grants.LIVE),
                Grant.ends_at > now,
            )
            .order_by(Grant.id)
        )
    )


def decision_arrived(
    decision: MRDecision, *, decided_on: date, now: datetime, signer: Signer
) -> list[Grant]:
    """Give each waiting grant its end after this decision; the grants changed. Claimant and
    adviser are told by the change's reaction (broker/messages/access_changes.py). Adds, no
    commit."""
    changed = []
    for grant in waiting(decision.claimant_id, now):
        if decided_on < clock.uk_day(grant.starts_at):
            continue
        if grants.end_with_case(
            grant, decision_id=decision.id, ends_at=ends_after(decided_on), signer=signer, now=now
        ):
            changed.append(grant)
    return changed


def waits_for_decision(grant: Grant) -> bool:
    """True while the grant is tied to a reconsideration not yet decided (for the wording)."""
    return grant.until_event == grants.MR_DECIDED and not grant.event_decision_id
