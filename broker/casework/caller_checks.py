"""Caller checks (seed 002): "Is this caller really from DWP?"

Caller ID is easily faked, so a caller who is genuine starts a check before or during the call:
the claimant's phone shows the caller's name, organisation and a 4-digit code for five minutes,
the caller reads the code out, and the claimant compares. The phone is reached only through the
claimant's own signed-in session, which is what makes a matching code worth anything.

Every change locks the claimant's audit chain head first, so two starts by one caller queue and
the start limit holds, and every change is an audit event in the claimant's chain (without a
grant, so none shows on the claimant's history of what advisers looked at). The code itself is
never written to the chain or to a log (security.md 36).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select

from ..chain import audit
from ..extensions import db
from ..models import Adviser, CallerCheck, StaffApiKey, StaffMember

LIFETIME = timedelta(minutes=5)
START_LIMIT = 3  # starts per caller and claimant in START_WINDOW
START_WINDOW = timedelta(minutes=10)
# Live checks on one claimant's phone at once, whoever started them (security.md 66): a caller
# key can be many people (a telephony system names each caller), so the per-caller limit alone
# would let one key fill the phone by varying the name.
LIVE_LIMIT = 3
DWP = "Department for Work and Pensions"
NAME_MAX_CHARS = 100
EXPIRED, REPLACED, SPENT = "expired", "replaced", "spent"
# Wrong second codes a caller may type for one check (issue 27); the last one spends the check,
# so guessing 4 digits is 3 tries in 10,000 and then a new check, which the start limit caps.
ANSWER_TRIES = 3
EXPIRY_ACTOR = "system:caller-check-expiry"  # nobody ends a check: its five minutes run out


class CheckRefused(ValueError):
    """A start the rules do not allow; the message is written for the caller."""


class TooManyStarts(CheckRefused):
    """The caller has started START_LIMIT checks for this claimant in START_WINDOW."""

    def __init__(self, retry_after: int) -> None:
        minutes = math.ceil(retry_after / 60)
        super().__init__(
            f"You have started {START_LIMIT} caller checks for this person in the last "
            f"{int(START_WINDOW.total_seconds() // 60)} minutes. "
            f"Wait {minutes} minute{'s' if minutes != 1 else ''}, then try again"
        )
        self.retry_after = retry_after


class TooManyLive(TooManyStarts):
    """LIVE_LIMIT checks by other callers are already live on this claimant's phone."""

    def __init__(self, retry_after: int) -> None:
        minutes = math.ceil(retry_after / 60)
        CheckRefused.__init__(
            self,
            f"This person already has {LIVE_LIMIT} caller checks waiting on their phone. "
            f"Wait {minutes} minute{'s' if minutes != 1 else ''}, then try again",
        )
        self.retry_after = retry_after


class CheckNotFound(LookupError):
    """No such check for this claimant."""


class CheckOver(ValueError):
    """The check has ended (run out, replaced, spent on wrong codes) or cannot be answered."""


class WrongAnswer(ValueError):
    """The code typed is not the claimant's; `left` more tries before the check is spent."""

    def __init__(self, left: int) -> None:
        super().__init__(
            "That is not the code on their phone. "
            + (
                f"You can try {left} more time{'s' if left != 1 else ''}"
                if left
                else "The check has ended: start a new one"
            )
        )
        self.left = left


@dataclass(frozen=True, slots=True)
class Caller:
    """Who starts a check: `key` says which checks are theirs (the limit, replacing, the page
    that shows them their code), `actor` names them in the audit chain."""

    key: str
    actor: str
    name: str
    organisation: str

    @classmethod
    def staff(cls, member: StaffMember) -> Caller:
        return cls(f"staff:{member.id}", f"staff:{member.id}", member.name, DWP)

    @classmethod
    def adviser(cls, adviser: Adviser) -> Caller:
        actor = f"adviser:{adviser.id}"
        return cls(actor, actor, adviser.name, adviser.organisation.name)

    @classmethod
    def staff_system(cls, key: StaffApiKey, name: str) -> Caller:
        """A telephony system starts checks for the people at its phones: the key is the system,
        the name in the request is the person."""
        name = " ".join(name.split())  # one line; also drops the chain's separator
        if not name:
            raise CheckRefused("Give the caller's name")
        if not name.isprintable():
            raise CheckRefused("The caller's name must be plain text")
        if len(name) > NAME_MAX_CHARS:
            raise CheckRefused(f"The caller's name must be {NAME_MAX_CHARS} characters or fewer")
        actor = system_actor(key)
        # The same person however the system spells their case; hashed, because a casefolded
        # name can be longer than the name (ß, ΐ) and the key has a fixed width.
        person = hashlib.sha256(name.casefold().encode()).hexdigest()[:32]
        return cls(f"{actor}:{person}", actor, name, DWP)


def system_actor(key: StaffApiKey) -> str:
    """How the chain names a telephony system's key: the one that may answer its checks."""
    return f"staff-system:{key.id}"


def start(claimant_id: str, caller: Caller, *, now: datetime) -> CallerCheck:
    """Start a check with a new random code, replacing this caller's live one; no commit.

    TooManyStarts once the caller has started START_LIMIT checks for this claimant in
    START_WINDOW, and TooManyLive (a TooManyStarts) once LIVE_LIMIT checks by others are live on
    the claimant's phone, whoever started them: a check is not a way to fill someone's phone
    with codes. A caller replacing their own live check is never refused for the others.
    """
    audit.lock_head(db.session.connection(), claimant_id)  # starts for one claimant queue
    recent = list(
        db.session.scalars(
            db.select(CallerCheck.started_at)
            .where(
                CallerCheck.claimant_id == claimant_id,
                CallerCheck.caller_key == caller.key,
                CallerCheck.started_at > now - START_WINDOW,
            )
            .order_by(CallerCheck.started_at)
        )
    )
    if len(recent) >= START_LIMIT:
        free_at = recent[-START_LIMIT] + START_WINDOW
        raise TooManyStarts(max(1, math.ceil((free_at - now).total_seconds())))
    others = [c for c in live_for_claimant(claimant_id, now) if c.caller_key != caller.key]
    if len(others) >= LIVE_LIMIT:
        free_at = sorted(c.expires_at for c in others)[len(others) - LIVE_LIMIT]
        raise TooManyLive(max(1, math.ceil((free_at - now).total_seconds())))
    for older in live_for_caller(claimant_id, caller.key, now):
        older.ended_at, older.end_reason = now, REPLACED
        _audit(older, caller.actor, "caller_check.replaced", now)
    check = CallerCheck(
        claimant_id=claimant_id,
        caller_key=caller.key,
        caller_name=caller.name,
        organisation=caller.organisation,
        started_by=caller.actor,
        code=f"{secrets.randbelow(10_000):04d}",
        answer_code=f"{secrets.randbelow(10_000):04d}",
        started_at=now,
        expires_at=now + LIFETIME,
    )
    db.session.add(check)
    db.session.flush()
    _audit(check, caller.actor, "caller_check.started", now)
    return check


def live_for_claimant(claimant_id: str, now: datetime) -> list[CallerCheck]:
    """The checks the claimant's phone shows now, oldest first."""
    return list(
        db.session.scalars(
            _live(now)
            .where(CallerCheck.claimant_id == claimant_id)
            .order_by(CallerCheck.started_at, CallerCheck.id)
        )
    )


def live_for_caller(claimant_id: str, caller_key: str, now: datetime) -> list[CallerCheck]:
    """This caller's live checks for the claimant (one, unless two starts raced)."""
    return list(
        db.session.scalars(
            _live(now).where(
                CallerCheck.claimant_id == claimant_id, CallerCheck.caller_key == caller_key
            )
        )
    )


def needs_noting(claimant_id: str, now: datetime) -> bool:
    """Whether the phone is about to show a check for the first time, or one has run out
    unnoted: then the page notes it (note_on_phone) before it shows anything."""
    unshown = _live(now).where(
        CallerCheck.claimant_id == claimant_id, CallerCheck.shown_at.is_(None)
    )
    return bool(
        db.session.scalar(db.select(unshown.exists()))
        or db.session.scalar(
            db.select(_run_out(now).where(CallerCheck.claimant_id == claimant_id).exists())
        )
    )


def note_on_phone(claimant_id: str, *, now: datetime) -> None:
    """The claimant's phone is about to show their checks: end those whose time has run out and
    mark the others shown, each once, in the chain; no commit."""
    audit.lock_head(db.session.connection(), claimant_id)
    _expire(claimant_id, now)
    for check in live_for_claimant(claimant_id, now):
        db.session.refresh(check)  # another page of theirs may have noted it meanwhile
        if check.shown_at is None and check.ended_at is None:
            check.shown_at = now
            _audit(check, f"claimant:{claimant_id}", "caller_check.shown", now)


def expire_due(now: datetime, *, limit: int) -> int:
    """End the run-out checks of up to `limit` claimants (the sweep's step); no commit. Returns
    how many checks it ended."""
    claimants = db.session.scalars(
        db.select(CallerCheck.claimant_id)
        .where(CallerCheck.id.in_(_run_out(now).with_only_columns(CallerCheck.id)))
        .distinct()
        .limit(limit)
    )
    ended = 0
    for claimant_id in list(claimants):
        audit.lock_head(db.session.connection(), claimant_id)
        ended += _expire(claimant_id, now)
    return ended


def report_not_genuine(claimant_id: str, check_id: str, *, now: datetime) -> CallerCheck:
    """The claimant says this caller was not genuine: kept on the check for staff to see, and in
    the chain. A check they can no longer see can still be reported. Idempotent; no commit."""
    audit.lock_head(db.session.connection(), claimant_id)
    check = for_claimant(claimant_id, check_id)
    db.session.refresh(check)
    if check.reported_at is None:
        check.reported_at = now
        _audit(check, f"claimant:{claimant_id}", "caller_check.reported", now)
    return check


def confirm(claimant_id: str, check_id: str, actor: str, typed: str, *, now: datetime) -> None:
    """The caller types the second code the claimant read to them (issue 27). A match records
    that the claimant confirmed it was them; a wrong code counts, and the ANSWER_TRIES-th spends
    the check. Both go in the claimant's chain, never the code. Only the `actor` who started the
    check (a staff member, an adviser, a telephony key) may answer it, else CheckNotFound, as
    for another claimant's. No commit: a wrong answer raises WrongAnswer after its audit, which
    the route commits."""
    audit.lock_head(db.session.connection(), claimant_id)  # answers to one check queue
    check = for_claimant(claimant_id, check_id)
    if check.started_by != actor:
        raise CheckNotFound(check_id)
    db.session.refresh(check)
    if check.confirmed_at is not None:
        return  # typed again: already confirmed
    if (
        check.ended_at is not None
        or check.expires_at <= now
        or check.reported_at is not None
        or check.answer_code is None
    ):
        raise CheckOver(check_id)
    # Constant time, so the time a wrong code takes says nothing of how near it was.
    if hmac.compare_digest(typed.encode(), check.answer_code.encode()):
        check.confirmed_at = now
        _audit(check, actor, "caller_check.confirmed", now)
        return
    check.wrong_answers += 1
    _audit(check, actor, "caller_check.wrong_answer", now)
    left = ANSWER_TRIES - check.wrong_answers
    if left <= 0:
        check.ended_at, check.end_reason = now, SPENT
        _audit(check, actor, "caller_check.spent", now)
    raise WrongAnswer(max(left, 0))


def for_claimant(claimant_id: str, check_id: str) -> CallerCheck:
    """One of this claimant's checks, else CheckNotFound (another claimant's included)."""
    check = db.session.get(CallerCheck, str(check_id))
    if check is None or check.claimant_id != claimant_id:
        raise CheckNotFound(check_id)
    return check


def reported(claimant_id: str) -> list[CallerCheck]:
    """The checks the claimant reported as not genuine, newest first, for the staff record."""
    return list(
        db.session.scalars(
            db.select(CallerCheck)
            .where(CallerCheck.claimant_id == claimant_id, CallerCheck.reported_at.is_not(None))
            .order_by(CallerCheck.reported_at.desc(), CallerCheck.id)
        )
    )


def _live(now: datetime) -> Select[tuple[CallerCheck]]:
    return db.select(CallerCheck).where(
        CallerCheck.ended_at.is_(None), CallerCheck.expires_at > now
    )


def _run_out(now: datetime) -> Select[tuple[CallerCheck]]:
    return db.select(CallerCheck).where(
        CallerCheck.ended_at.is_(None), CallerCheck.expires_at <= now
    )


def _expire(claimant_id: str, now: datetime) -> int:
    """End this claimant's run-out checks, each once; the caller has locked the chain head."""
    due = db.session.scalars(
        _run_out(now)
        .where(CallerCheck.claimant_id == claimant_id)
        .order_by(CallerCheck.expires_at, CallerCheck.id)
    )
    ended = 0
    for check in list(due):
        db.session.refresh(check)
        if check.ended_at is None:
            check.ended_at, check.end_reason = check.expires_at, EXPIRED
            _audit(check, EXPIRY_ACTOR, "caller_check.expired", now)
            ended += 1
    return ended


def _audit(check: CallerCheck, actor: str, action: str, now: datetime) -> None:
    """Append one event; the caller has locked the chain head in this transaction, and each
    append reads the head as the one before it left it."""
    db.session.flush()
    audit.append(
        audit.untokened(check.claimant_id, actor, action, f"caller_check:{check.id}"), now=now
    )
