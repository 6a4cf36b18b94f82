"""The claimant's own call log (issue 27): every caller check on their phone, from the events the
checks wrote to their audit chain (broker/casework/caller_checks.py), with the caller's name and
organisation from the check itself. The history page says each check in one line; the signed copy
keeps every event with its place in the chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import clock
from ..extensions import db
from ..models import AuditEvent, CallerCheck

PREFIX = "caller_check:"
MOST_EVENTS = 100_000


@dataclass(frozen=True, slots=True)
class CheckEvent:
    seq: int
    at: datetime
    action: str  # "caller_check.started", ".shown", ".expired", ".replaced", ".reported", ...
    line: int = 0  # its audit event's ID, for "This wasn't right" (not in the signed copy)

    def as_json(self) -> dict[str, object]:
        return {"seq": self.seq, "at": self.at.isoformat(), "action": self.action}


@dataclass(frozen=True, slots=True)
class Call:
    """One caller check as the claimant's history tells it."""

    check_id: str
    caller_name: str
    organisation: str
    events: tuple[CheckEvent, ...]  # in chain order

    @property
    def at(self) -> datetime:
        return self.events[0].at

    @property
    def line(self) -> int:
        """The check's first event (it started): what the history's "This wasn't right" names."""
        return self.events[0].line

    def _did(self, action: str) -> bool:
        return any(e.action == f"caller_check.{action}" for e in self.events)

    @property
    def outcome(self) -> str:
        """What the claimant did, most telling first: reported, confirmed, looked, did not look
        (the check ended unseen), or waiting (still on their phone, not yet seen)."""
        for done in ("reported", "confirmed"):
            if self._did(done):
                return done
        if self._did("shown"):
            return "looked"
        if any(self._did(end) for end in ("expired", "replaced", "spent")):
            return "not_looked"
        return "waiting"

    def as_json(self) -> dict[str, object]:
        return {
            "check": self.check_id,
            "caller": self.caller_name,
            "organisation": self.organisation,
            "events": [e.as_json() for e in self.events],
        }


def calls(claimant_id: str, limit: int = MOST_EVENTS, check_id: str | None = None) -> list[Call]:
    """The claimant's caller checks (or the one check `check_id`), newest first, from the
    newest `limit` check events."""
    query = db.select(
        AuditEvent.seq,
        AuditEvent.occurred_us,
        AuditEvent.action,
        AuditEvent.resource,
        AuditEvent.id,
    ).where(
        AuditEvent.claimant_id == claimant_id,
        AuditEvent.action.like("caller\\_check.%", escape="\\"),
    )
    if check_id is not None:
        query = query.where(AuditEvent.resource == PREFIX + check_id)
    rows = list(db.session.execute(query.order_by(AuditEvent.seq.desc()).limit(limit)))
    by_check: dict[str, list[CheckEvent]] = {}
    for seq, occurred_us, action, resource, line in reversed(rows):
        if resource.startswith(PREFIX):
            event = CheckEvent(seq, clock.from_micros(occurred_us), action, line)
            by_check.setdefault(resource.removeprefix(PREFIX), []).append(event)
    checks = {
        c.id: c
        for c in db.session.scalars(
            db.select(CallerCheck).where(
                CallerCheck.claimant_id == claimant_id, CallerCheck.id.in_(list(by_check))
            )
        )
    }
    found = [
        Call(check_id, checks[check_id].caller_name, checks[check_id].organisation, tuple(events))
        for check_id, events in by_check.items()
        # A check whose start the limit cut off is left out, never told from its middle.
        if check_id in checks and events[0].action == "caller_check.started"
    ]
    return sorted(found, key=lambda call: call.events[0].seq, reverse=True)


def call_of(claimant_id: str, resource: str) -> Call | None:
    """The call a line of the claimant's chain (`caller_check:<id>`) is part of, if its check is
    still kept (retention deletes a check after its period; the history then leaves it out)."""
    if not resource.startswith(PREFIX):
        return None
    found = calls(claimant_id, check_id=resource.removeprefix(PREFIX))
    return found[0] if found else None
