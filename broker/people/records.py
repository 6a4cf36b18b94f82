"""What staff keep on a claimant's record besides consent: pinned notes (three at most) and the
additional-support flag with a description of the need.

The seeds (the DWP response to the coroner, 004) set the limit of three pinned notes. Every
change locks the claimant's audit chain head first, so two staff members pinning at once queue
and the limit holds, and every change is an audit event in the claimant's chain. These events
carry no grant, so they never show on the claimant's own history page.

Reading the record is on the chain too (issue 23): each time a staff member opens it, or a staff
system reads its consent banner, is an event naming the staff account or the API key. Those the
claimant does see, one line a day (`looks_by_day`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from .. import clock, inputs
from ..chain import audit
from ..extensions import db
from ..models import AuditEvent, Claimant, PinnedNote, StaffApiKey, StaffMember

MAX_PINNED_NOTES = 3
NOTE_MAX_CHARS = 500
SUPPORT_MAX_CHARS = 1000
SUPPORT_RESOURCE = "additional_support"
# The reason for removing the flag rides in the audit event's resource (200 characters at most).
REMOVAL_REASON_MAX_CHARS = 180


# Staff reads (issue 23, security.md 51): what was looked at is the action, whose record the
# resource.
RECORD_READ = "staff.record.read"  # the record page: contact, support flag, notes, consent banner
CONSENTS_READ = "staff.consents.read"  # the staff API's consent banner as JSON
STAFF_READS = (RECORD_READ, CONSENTS_READ)
STAFF, STAFF_SYSTEM = "staff", "staff-system"  # actor kinds: a person signed in, an API key


class RecordRefused(ValueError):
    """A change the record rules do not allow; the message is written for the staff member."""


class NoteNotFound(LookupError):
    """No such pinned note on this claimant's record."""


def claimant_by_reference(reference: str) -> Claimant | None:
    """The claimant with this reference (case and surrounding spaces ignored), if any."""
    wanted = reference.strip().upper()
    if not wanted:
        return None
    return db.session.scalar(db.select(Claimant).where(Claimant.reference == wanted))


def pinned_notes(claimant_id: str) -> list[PinnedNote]:
    """The notes pinned on a record now, oldest first."""
    return list(
        db.session.scalars(
            db.select(PinnedNote)
            .where(PinnedNote.claimant_id == claimant_id, PinnedNote.unpinned_at.is_(None))
            .order_by(PinnedNote.created_at, PinnedNote.id)
        )
    )


def pin_note(claimant: Claimant, body: str, *, staff: StaffMember, now: datetime) -> PinnedNote:
    """Pin a note on the record; refused when three are pinned already. Adds, no commit."""
    body = body.strip()
    if not inputs.visible(body):  # security.md 70: spaces or zero-width characters only
        raise RecordRefused("Enter the note")
    if len(body) > NOTE_MAX_CHARS:
        raise RecordRefused(f"The note must be {NOTE_MAX_CHARS} characters or fewer")
    head = audit.lock_head(db.session.connection(), claimant.id)  # pins for one claimant queue
    if len(pinned_notes(claimant.id)) >= MAX_PINNED_NOTES:
        raise RecordRefused(
            f"A record can have {MAX_PINNED_NOTES} pinned notes at most. "
            "Unpin a note before you pin a new one"
        )
    note = PinnedNote(
        claimant_id=claimant.id, body=body, created_by_staff_id=staff.id, created_at=now
    )
    db.session.add(note)
    db.session.flush()
    _audit(claimant.id, staff, "record.note_pin", f"pinned_note:{note.id}", now, head)
    return note


def unpin_note(claimant: Claimant, note_id: str, *, staff: StaffMember, now: datetime) -> None:
    """Take a note off the record (it is kept, marked unpinned). Idempotent; no commit."""
    head = audit.lock_head(db.session.connection(), claimant.id)
    note = db.session.get(PinnedNote, note_id)
    if note is None or note.claimant_id != claimant.id:
        raise NoteNotFound(note_id)
    db.session.refresh(note)
    if note.unpinned_at is not None:
        return
    note.unpinned_at = now
    _audit(claimant.id, staff, "record.note_unpin", f"pinned_note:{note.id}", now, head)


def set_additional_support(
    claimant: Claimant, description: str, *, staff: StaffMember, now: datetime
) -> None:
    """Flag that the claimant needs additional support, saying what the need is; no commit."""
    description = description.strip()
    if not inputs.visible(description):
        raise RecordRefused("Describe the support they need")
    if len(description) > SUPPORT_MAX_CHARS:
        raise RecordRefused(f"The description must be {SUPPORT_MAX_CHARS} characters or fewer")
    head = audit.lock_head(db.session.connection(), claimant.id)
    claimant.additional_support = description
    _audit(claimant.id, staff, "record.support_set", SUPPORT_RESOURCE, now, head)


def clear_additional_support(
    claimant: Claimant, *, reason: str, staff: StaffMember, now: datetime
) -> None:
    """Remove the additional-support flag, saying why; no commit. The reason is kept in the audit
    event (resource `additional_support:<reason>`), the record of who removed it and when.
    Removing a flag that is already gone does nothing."""
    reason = " ".join(reason.split())  # one line; also drops the chain's separator (\x1f)
    if not inputs.visible(reason):
        raise RecordRefused("Enter why you are removing the flag")
    if len(reason) > REMOVAL_REASON_MAX_CHARS:
        raise RecordRefused(f"The reason must be {REMOVAL_REASON_MAX_CHARS} characters or fewer")
    head = audit.lock_head(db.session.connection(), claimant.id)
    db.session.refresh(claimant)  # a colleague may have removed it while we were confirming
    if claimant.additional_support is None:
        return
    claimant.additional_support = None
    resource = f"{SUPPORT_RESOURCE}:{reason}"
    _audit(claimant.id, staff, "record.support_clear", resource, now, head)


@dataclass(frozen=True, slots=True)
class SupportRemoval:
    at: datetime
    staff_name: str
    reason: str


def last_support_removal(claimant_id: str) -> SupportRemoval | None:
    """Who removed the additional-support flag, when and why, if the last change to the flag
    was its removal; read from the audit chain, where the reason is kept."""
    event = db.session.scalar(
        db.select(AuditEvent)
        .where(
            AuditEvent.claimant_id == claimant_id,
            AuditEvent.action.in_(("record.support_set", "record.support_clear")),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    if event is None or event.action != "record.support_clear":
        return None
    _kind, _, staff_id = event.actor.partition(":")
    staff = db.session.get(StaffMember, staff_id)
    return SupportRemoval(
        at=clock.from_micros(event.occurred_us),
        staff_name=staff.name if staff is not None else "a member of staff",
        reason=event.resource.partition(":")[2],
    )


def _audit(
    claimant_id: str,
    staff: StaffMember,
    action: str,
    resource: str,
    now: datetime,
    head: tuple[int, bytes],
) -> None:
    db.session.flush()
    audit.append(
        audit.Event(
            claimant_id=claimant_id,
            token_id="",
            grant_id="",
            actor=f"staff:{staff.id}",
            action=action,
            resource=resource,
            outcome="done",
        ),
        now=now,
        head=head,
    )


def audit_read(
    claimant: Claimant, reader: StaffMember | StaffApiKey, *, action: str, now: datetime
) -> None:
    """Put one staff read of the record on the claimant's chain, before anything of the record
    is read, in the caller's transaction; no commit.

    The append locks the chain head first, so the record is then read as it stands after every
    change committed before it. If the append fails it raises, and nothing is read or shown; if
    reading or showing fails afterwards, the event rolls back with it: nothing was shown.
    """
    kind = STAFF if isinstance(reader, StaffMember) else STAFF_SYSTEM
    event = audit.untokened(
        claimant.id,
        f"{kind}:{reader.id}",
        action,
        f"claimant:{claimant.reference}",
        outcome="allowed",
    )
    audit.append(event, now=now)


@dataclass(frozen=True, slots=True)
class StaffRead:
    """One staff read as the claimant's own copy gives it: when, what, a person or a system,
    and its place in the chain (which staff account or key is DWP's to look up from there)."""

    seq: int
    at: datetime
    action: str
    by: str  # STAFF or STAFF_SYSTEM
    line: int = 0  # its audit event's ID: the history's "This wasn't right" names it (not copied)

    def as_json(self) -> dict[str, object]:
        return {"seq": self.seq, "at": self.at.isoformat(), "action": self.action, "by": self.by}


def staff_reads(claimant_id: str, limit: int = 100_000) -> list[StaffRead]:
    """Every staff read of the claimant's record, newest first."""
    rows = db.session.execute(
        db.select(
            AuditEvent.seq,
            AuditEvent.occurred_us,
            AuditEvent.action,
            AuditEvent.actor,
            AuditEvent.id,
        )
        .where(AuditEvent.claimant_id == claimant_id, AuditEvent.action.in_(STAFF_READS))
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    )
    return [
        StaffRead(seq, clock.from_micros(occurred_us), action, actor.partition(":")[0], line)
        for seq, occurred_us, action, actor, line in rows
    ]


@dataclass(frozen=True, slots=True)
class Looks:
    """The staff reads of one UK day, as one line of the claimant's history."""

    day: date
    count: int
    line: int = 0  # the day's newest read: what the day's "This wasn't right" names


def looks(claimant_id: str, most_reads: int = 5_000) -> list[Looks]:
    """The staff reads of the claimant's record by UK day, newest first, from the newest
    `most_reads` reads; a day those leave only partly counted is left out, never miscounted."""
    reads = staff_reads(claimant_id, limit=most_reads)
    days = looks_by_day(reads)
    return days[:-1] if len(reads) >= most_reads else days


def looks_by_day(reads: Iterable[StaffRead]) -> list[Looks]:
    """Reads grouped by the UK day they fell on, newest day first.

    Every read is its own event on the chain and in the signed copy, but the history page says
    each day once: a record open on a contact centre's screen is read again at every refresh,
    by every colleague and by the systems behind them, and twenty lines a day would bury the
    reads of the people the claimant chose. The day, and how many times, is what the claimant
    can check against their own calls.
    """
    days: dict[date, int] = {}
    newest: dict[date, int] = {}
    for read in reads:  # newest first
        day = clock.uk_day(read.at)
        days[day] = days.get(day, 0) + 1
        newest.setdefault(day, read.line)
    return [Looks(day, count, newest[day]) for day, count in sorted(days.items(), reverse=True)]
