"""A Mandatory Reconsideration decision arrives in a claimant's journal: the one place it
happens (the `journal add-mr-decision` command, the staff API and the demo all call
`add_mr_decision`), so that whatever hangs on a decision arriving hangs here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .. import clock, inputs
from ..chain import audit
from ..chain.keys import Signer
from ..consent import case_tied, windows
from ..extensions import db
from ..messages import notify
from ..models import Claimant, MRDecision
from . import appeals, journal, watches
from .journal import iso

OUTCOMES = journal.OUTCOMES
DEFAULT_SUBJECT = "Mandatory Reconsideration decision"
LONGEST_SUBJECT = 200
LONGEST_BODY = 5000


class DecisionRefused(ValueError):
    """The decision cannot be added as given; the message says what to change, `field` which
    field of the staff API's body is at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_day(text: str) -> date:
    """A decision date written YYYY-MM-DD (windows.parse_day's rule), else DecisionRefused."""
    try:
        day = windows.parse_day(text.strip(), "decided_on")
    except windows.WindowRefused:
        day = None
    if day is None:
        raise DecisionRefused(
            f"The decision date must be a real date written YYYY-MM-DD, not {text!r}", "decided_on"
        )
    return day


def add_mr_decision(
    claimant: Claimant,
    *,
    outcome: str,
    decided_on: date,
    subject: str = "",
    body: str = "",
    by: str,
    now: datetime,
    signer: Signer,
) -> MRDecision:
    """Add the decision to the claimant's journal, audited as done `by`; send the claimant a
    letter with their appeal date, and tell everyone watching for it (broker/casework/watches.py).
    Adds and flushes, no commit; DecisionRefused."""
    if outcome not in OUTCOMES:
        raise DecisionRefused(
            f"The outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}", "outcome"
        )
    if decided_on > clock.uk_day(now):
        raise DecisionRefused("The decision date cannot be in the future", "decided_on")
    if decided_on < inputs.UNIVERSAL_CREDIT_BEGAN:  # security.md 70
        raise DecisionRefused(
            "The decision date (decided_on) cannot be before Universal Credit began on "
            f"{inputs.UNIVERSAL_CREDIT_BEGAN.isoformat()}",
            "decided_on",
        )
    if len(subject) > LONGEST_SUBJECT or len(body) > LONGEST_BODY or "\x00" in subject + body:
        raise DecisionRefused(
            f"The subject can be up to {LONGEST_SUBJECT} characters and the body up to "
            f"{LONGEST_BODY}"
        )
    for field, text in (("subject", subject), ("body", body)):
        if text.strip() and not inputs.visible(text):  # security.md 70: optional, not blank
            raise DecisionRefused(
                f"The {field} has nothing visible in it: send text, or leave it out", field
            )
    subject = " ".join(subject.split()) or DEFAULT_SUBJECT
    body = body.strip() or f"The decision was looked at again. Outcome: {OUTCOMES[outcome]}."
    decision = MRDecision(
        claimant_id=claimant.id,
        decided_at=clock.start_of(decided_on),
        subject=subject,
        outcome=outcome,
        body=body,
    )
    db.session.add(decision)
    db.session.flush()
    audit.append(
        audit.Event(
            claimant_id=claimant.id,
            token_id="",
            grant_id="",
            actor=by,
            action="mr_decision.add",
            resource=f"mr_decision:{decision.id}",
            outcome="done",
        ),
        now=now,
    )
    notify.decision_letter(
        claimant,
        decision_id=decision.id,
        decided_on=decided_on,
        appeal_by=appeals.deadline(decided_on),
        now=now,
    )
    watches.decision_arrived(decision, now=now, signer=signer)
    case_tied.decision_arrived(decision, decided_on=decided_on, now=now, signer=signer)
    return decision


def as_json(decision: MRDecision) -> dict[str, Any]:
    """The decision with its appeal dates, as the staff API answers."""
    dates = appeals.Dates.of(decision.decided_at)
    return {
        "id": decision.id,
        "subject": decision.subject,
        "outcome": decision.outcome,
        "body": decision.body,
        "decided_at": iso(decision.decided_at),
        "decided_on": dates.decided_on.isoformat(),
        "appeal_deadline": dates.appeal_by.isoformat(),
        "appeal_outside_limit": dates.outside_limit.isoformat(),
    }
