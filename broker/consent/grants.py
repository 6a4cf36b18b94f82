"""Every rule of a grant's life: create, narrow, revoke, suspend, review, expire; the six-month
cap and each scope's own maximum; and the queries that find grants. Only this module changes a
status.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, or_, update

import scopes

from .. import clock, inputs
from ..chain import audit
from ..chain.keys import Signer
from ..extensions import db
from ..models import (
    AccessToken,
    Adviser,
    AuthorizationCode,
    Claimant,
    DeviceAuthorization,
    Dispute,
    Grant,
    RefreshToken,
    StaffMember,
)
from . import grant_events, issued, receipts, windows
from .disclosure import ACTIVE

# ACTIVE, and whether a grant works at a moment (`authorises`), are the disclosure rule's.
PENDING, SUSPENDED, REVOKED, EXPIRED = "pending", "suspended", "revoked", "expired"
ENDED = (REVOKED, EXPIRED)
LIVE = (ACTIVE, SUSPENDED, PENDING)
DEFAULT_REVIEW_MONTHS = 1  # DWP guidance: review explicit consent monthly unless extended


class GrantRefused(ValueError):
    """A grant that the rules do not allow; the message is written for the person asking, and
    `field` names the answer it is about, when a form should show it there."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class GrantNotFound(LookupError):
    """No such grant for this person (or it is not theirs to see)."""


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later, clamped to the month's last day."""
    return clock.months_after(moment, months)


def latest_end(scope_names: Sequence[str], starts_at: datetime) -> datetime:
    """The furthest end date these scopes allow: six months, or a scope's shorter maximum."""
    return add_months(starts_at, scopes.longest_months(scope_names))


@dataclass(frozen=True)
class Representative:
    """Who a grant is for: an adviser with an account, or a named person recorded by staff."""

    name: str
    organisation: str = ""
    adviser: Adviser | None = None

    @classmethod
    def of(cls, adviser: Adviser) -> Representative:
        return cls(adviser.name, adviser.organisation.name, adviser)

    def key(self, client_id: str | None = None) -> str | None:
        """The relationship a grant to this representative (through this client) belongs to."""
        adviser_id = self.adviser.id if self.adviser else None
        return relationship_key(ACCESS, adviser_id, client_id, self.name, self.organisation)


def relationship_key(
    kind: str, adviser_id: str | None, client_id: str | None, name: str, organisation: str
) -> str | None:
    """Who a consent is with, as one string: the adviser account, else the OAuth client acting
    alone, else the named person (and organisation) recorded by phone. A claimant has at most one
    live access grant per key. Nominated contacts have none: at most one of them in all.
    """
    if kind != ACCESS:
        return None
    if adviser_id:
        return f"adviser:{adviser_id}"
    if client_id:
        return f"client:{client_id}"
    folded = "|".join(" ".join(part.split()).casefold() for part in (name, organisation))
    return f"named:{folded}"


def relationship_of(grant: Grant) -> str:
    """The relationship a grant belongs to (its stored key), or its own ID for a contact."""
    return grant.relationship_key or f"grant:{grant.id}"


def give(
    claimant: Claimant,
    representative: Representative,
    *,
    signer: Signer,
    scope_names: Sequence[str] | str,
    ends_at: datetime,
    purpose: str,
    relationship: str,
    now: datetime,
    review_at: datetime | None = None,
    information: str = "",
    recorded_by: str = "claimant",
    staff: StaffMember | None = None,
    client_id: str | None = None,
    authorization_details: list[dict[str, object]] | None = None,
    until_event: str | None = None,
    window: windows.Window | None = None,
    check_before_send: bool = False,
) -> Grant:
    """The claimant's consent to this representative, checked against every rule: a new grant,
    or, if they already have a live one, that grant amended (one relationship, one grant). Adds
    the rows and audit event, no commit. `check_before_send` is for a new grant only (an amended
    one keeps its own setting): the adviser's writes then wait for the claimant's "Send it".
    """
    names = _parse(scope_names)
    if not names:
        raise GrantRefused("Choose at least one thing they can see or do")
    purpose, relationship = purpose.strip(), relationship.strip()
    if not purpose:
        raise GrantRefused("Say why they need access")
    if not relationship:
        raise GrantRefused("Say who they are to you")
    actor = f"client:{client_id}" if recorded_by == "oauth" else _recorder(claimant, staff)
    _refuse_held(representative.adviser)
    key = representative.key(client_id)
    _lock_chain(claimant.id)
    existing = _current_relationship(claimant.id, key, now, signer=signer)
    if existing is not None:
        return amend(
            existing,
            scope_names=names,
            ends_at=ends_at,
            purpose=purpose,
            relationship=relationship,
            by=actor,
            now=now,
            review_at=review_at,
            information=information,
            authorization_details=authorization_details,
            signer=signer,
            until_event=until_event,
            window=window,
        )
    check_end(names, starts_at=now, ends_at=ends_at)
    review_at = _review_date(review_at, ends_at, now)
    return _add(
        Grant(
            kind=ACCESS,
            adviser_id=representative.adviser.id if representative.adviser else None,
            representative_name=representative.name,
            organisation_name=representative.organisation,
            relationship_key=key,
            client_id=client_id,
            information=information or describe(names),
            authorization_details=(
                json.dumps(authorization_details) if authorization_details else None
            ),
            until_event=check_until_event(until_event),
            date_from=window.date_from if window else None,
            date_to=window.date_to if window else None,
            check_before_send=check_before_send,
        ),
        claimant=claimant,
        names=names,
        purpose=purpose,
        relationship=relationship,
        review_at=review_at,
        ends_at=ends_at,
        recorded_by=recorded_by,
        staff=staff,
        actor=actor,
        now=now,
        signer=signer,
    )


def _refuse_held(adviser: Adviser | None) -> None:
    """Issue 25: a suspended adviser, or an adviser of a suspended organisation, is given no
    new or wider access (their existing grants are held by agency_grants)."""
    if adviser is not None and adviser.held:
        raise GrantRefused(f"{adviser.name} cannot be given access at the moment")


def _live_status(claimant_id: str, key: str) -> Select[tuple[Grant]]:
    """The claimant's grants with this representative whose status is live (at most one)."""
    return db.select(Grant).where(
        Grant.claimant_id == claimant_id,
        Grant.relationship_key == key,
        Grant.status.in_(LIVE),
    )


def live_relationship(claimant_id: str, key: str | None, now: datetime) -> Grant | None:
    """The claimant's live access grant with this representative, if any (there is at most one)."""
    if key is None:
        return None
    return db.session.scalar(_live_status(claimant_id, key).where(Grant.ends_at > now))


def _current_relationship(
    claimant_id: str, key: str | None, now: datetime, *, signer: Signer
) -> Grant | None:
    """live_relationship, for a change: a grant past its end date that the sweep has not reached
    yet is expired here, so it never stands in the way of new consent (the unique live index)."""
    if key is None:
        return None
    for grant in db.session.scalars(_live_status(claimant_id, key)).all():
        if grant.ends_at > now:
            return grant
        expire(grant.id, now=now, signer=signer)
    return None


@dataclass(frozen=True)
class Change:
    """What a new request would change about a live grant, for the claimant to approve."""

    grant: Grant
    added: tuple[str, ...]
    ends_at: datetime
    purpose: str | None  # the new purpose, if it differs
    relationship: str | None

    @property
    def scopes(self) -> tuple[str, ...]:
        """What the grant would allow once amended, in catalogue order."""
        return scopes.parse((*self.grant.scope_names, *self.added))

    @property
    def end_moves(self) -> bool:
        return self.ends_at != self.grant.ends_at

    @property
    def end_day_moves(self) -> bool:
        """The end falls on another UK day: a new end date, as the claimant reads dates."""
        return clock.uk_day(self.ends_at) != clock.uk_day(self.grant.ends_at)

    @property
    def anything(self) -> bool:
        return bool(self.added or self.end_moves or self.purpose or self.relationship)


def proposed_change(
    grant: Grant,
    *,
    scope_names: Sequence[str] | str,
    ends_at: datetime,
    purpose: str,
    relationship: str,
) -> Change:
    """What amending `grant` with this request would change (nothing is changed here)."""
    held = grant.scope_names
    added = tuple(n for n in _parse(scope_names) if n not in held)
    purpose, relationship = purpose.strip(), relationship.strip()
    return Change(
        grant,
        added,
        ends_at,
        purpose if purpose and purpose != grant.purpose else None,
        relationship if relationship and relationship != grant.relationship else None,
    )


def amend(
    grant: Grant,
    *,
    signer: Signer,
    scope_names: Sequence[str] | str,
    ends_at: datetime,
    purpose: str,
    relationship: str,
    by: str,
    now: datetime,
    review_at: datetime | None = None,
    information: str = "",
    authorization_details: list[dict[str, object]] | None = None,
    until_event: str | None = None,
    window: windows.Window | None = None,
) -> Grant:
    """The claimant approved a change to a live grant: scopes added (never taken away here; that
    is narrow), a new end date, a new purpose. The six-month cap counts from this approval.
    Nothing asked that the grant does not already hold: no change, no event (incremental
    authorization). Existing tokens keep working; they carry no more than they did."""
    lock(grant)
    if grant.status == SUSPENDED:
        raise GrantRefused("DWP has paused this access. You can change it when they restart it")
    if grant.status not in LIVE or now >= grant.ends_at:
        raise GrantRefused("This access has already ended")
    change = proposed_change(
        grant, scope_names=scope_names, ends_at=ends_at, purpose=purpose, relationship=relationship
    )
    # until_event None: not asked, the grant stays as it is; "" or an event: what was approved.
    tie = grant.until_event if until_event is None else check_until_event(until_event)
    # A new window (wider or not) is part of what the claimant approved; None keeps the old one.
    window_moves = window is not None and window != windows.of(grant)
    if not change.anything and tie == grant.until_event and not window_moves:
        return grant
    if tie != grant.until_event:
        grant.until_event, grant.event_decision_id = tie, None
    if window is not None:
        grant.date_from, grant.date_to = window.date_from, window.date_to
    names = change.scopes
    check_end(names, starts_at=now, ends_at=ends_at)
    review_at = _review_date(review_at, ends_at, now)
    derived = grant.information == describe(grant.scope_names)
    grant.scopes = " ".join(names)
    if information:
        grant.information = information
    elif derived:  # the information line was made from the scopes, so it follows them
        grant.information = describe(names)
    grant.purpose = change.purpose or grant.purpose
    grant.relationship = change.relationship or grant.relationship
    if authorization_details:
        grant.authorization_details = json.dumps(authorization_details)
    grant.ends_at, grant.review_at, grant.reviewed_at = ends_at, review_at, now
    grant.status = ACTIVE
    _audit(grant, by, "grant.amend", now, added=change.added, signer=signer)
    return grant


def _parse(scope_names: Sequence[str] | str) -> tuple[str, ...]:
    """Catalogue scope names; GrantRefused naming any we do not know."""
    try:
        return scopes.parse(scope_names)
    except scopes.UnknownScope as exc:
        raise GrantRefused(f"We do not know this kind of access: {', '.join(exc.names)}") from None


def _review_date(review_at: datetime | None, ends_at: datetime, now: datetime) -> datetime:
    """The review date asked for (the end date if none), refused unless between now and the end."""
    review_at = review_at or ends_at
    if review_at > ends_at or review_at <= now:
        raise FactMissing(
            "review_months", "The review date must be after today and no later than the end date"
        )
    return review_at


def _recorder(claimant: Claimant, staff: StaffMember | None) -> str:
    """Who a new grant is recorded by: the staff member on the phone, or the claimant."""
    return f"staff:{staff.id}" if staff else f"claimant:{claimant.id}"


def _add(
    grant: Grant,
    *,
    signer: Signer,
    claimant: Claimant,
    names: Sequence[str],
    purpose: str,
    relationship: str,
    review_at: datetime,
    ends_at: datetime,
    recorded_by: str,
    staff: StaffMember | None,
    actor: str,
    now: datetime,
) -> Grant:
    """Fill in what every new grant has, add it, and audit its creation by `actor`."""
    grant.claimant_id = claimant.id
    grant.scopes = " ".join(names)
    grant.purpose, grant.relationship = purpose, relationship
    grant.status = ACTIVE
    grant.created_at = grant.starts_at = now
    grant.review_at, grant.ends_at = review_at, ends_at
    grant.recorded_by = recorded_by
    grant.recorded_by_staff_id = staff.id if staff else None
    db.session.add(grant)
    db.session.flush()
    _audit(grant, actor, "grant.create", now, signer=signer)
    return grant


def check_end(names: Sequence[str], *, starts_at: datetime, ends_at: datetime) -> None:
    """Refuse an end date in the past or beyond the cap for these scopes."""
    if ends_at <= starts_at:
        raise GrantRefused("The end date must be in the future")
    limit = latest_end(names, starts_at)
    if ends_at > limit:
        months = scopes.longest_months(names)
        if months < scopes.GRANT_CAP_MONTHS:
            narrow = [
                scopes.lookup(n).title_in("en").lower()
                for n in names
                if scopes.lookup(n).max_months == months
            ]
            raise GrantRefused(f"Access to {' and '.join(narrow)} can last {months} months at most")
        raise GrantRefused("Access can last 6 months at most")


def describe(names: Sequence[str], language: str = "en", kind: str = "access") -> str:
    """What information a grant of this kind with these scopes covers, in a line."""
    return "; ".join(scope.title_in(language) for scope in scopes_named(kind, names))


def state_at(grant: Grant, now: datetime) -> str:
    """What a person should be told about a grant right now, computed, never stored."""
    if grant.status in (REVOKED, SUSPENDED, PENDING):
        return grant.status
    if grant.status == EXPIRED or now >= grant.ends_at:
        return EXPIRED
    if now >= grant.review_at:
        return "review_overdue"
    return "current"


def revoke(grant: Grant, *, signer: Signer, by: str, now: datetime, reason: str = "") -> None:
    """End a grant at once; every token under it stops working on its next request."""
    if grant.status in ENDED:
        return
    grant.status = REVOKED
    grant.ended_at = now
    grant.ended_by = by
    grant.end_reason = reason or None
    _revoke_tokens([grant.id], now)
    _close_doorways([grant.id], now)
    _audit(grant, by, "grant.revoke", now, signer=signer)


GIVEN_UP_BY_ADVISER = "Given up by the adviser"
GIVEN_UP_BY_CASE_SYSTEM = "Given up by their case system"


def give_up(grant: Grant, *, signer: Signer, by: str, now: datetime) -> None:
    """The representative ends their own access (an adviser on the client's page, `by`
    adviser:<id>; their case system by revoking its refresh token, `by` client:<id>): revoked at
    once, the claimant told and given a receipt. GrantRefused if it has already ended."""
    lock(grant)
    if grant.status in ENDED:
        raise GrantRefused("This access has already ended")
    reason = GIVEN_UP_BY_ADVISER if by.startswith("adviser:") else GIVEN_UP_BY_CASE_SYSTEM
    revoke(grant, by=by, now=now, reason=reason, signer=signer)


def review_due_untold(now: datetime, *, limit: int) -> list[Grant]:
    """Live grants past their review date (so paused until the claimant confirms) whose
    representative has not been told of this review date yet."""
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(
                Grant.kind == ACCESS,
                Grant.status == ACTIVE,
                Grant.review_at <= now,
                Grant.review_at < Grant.ends_at,
                Grant.ends_at > now,
                or_(Grant.review_due_told_at.is_(None), Grant.review_due_told_at < Grant.review_at),
            )
            .order_by(Grant.review_at, Grant.id)
            .limit(limit)
        )
    )


def narrowable(grant: Grant, now: datetime) -> bool:
    """True when the claimant may take scopes away from this grant: live access, not paused."""
    return grant.kind == ACCESS and state_at(grant, now) in ("current", "review_overdue")


def narrow(
    grant: Grant, keep: Sequence[str] | str, *, signer: Signer, by: str, now: datetime
) -> tuple[str, ...]:
    """Take scopes away from a live access grant, never add any; returns the scopes removed.

    Every access token under the grant is revoked at once, because a token carries its scopes.
    Refresh tokens live on: the next one used gets an access token with only what is left
    (oauth._generate_token), so the adviser's system keeps working with less.
    """
    lock(grant)
    if grant.status == SUSPENDED:
        raise GrantRefused("DWP has paused this access. You can change it when they restart it")
    if not narrowable(grant, now):
        raise GrantRefused("This access has already ended")
    kept = _parse(keep)
    held = grant.scope_names
    if not kept:
        raise GrantRefused("To take everything away, use Stop access instead")
    if not set(kept) <= set(held):
        raise GrantRefused("You can only take things away here, not add them")
    if set(kept) == set(held):
        raise GrantRefused("You did not untick anything, so nothing has changed")
    removed = tuple(n for n in held if n not in kept)
    if grant.information == describe(held):  # derived from the scopes, not a client's own words
        grant.information = describe(kept)
    grant.scopes = " ".join(kept)
    revoke_access_tokens([grant.id], now)
    _audit(grant, by, "grant.narrow", now, removed=removed, signer=signer)
    return removed


def narrow_window(
    grant: Grant, window: windows.Window, *, signer: Signer, by: str, now: datetime
) -> None:
    """Shorten a live grant's date window, never widen it (that is an amendment the claimant
    approves). Takes effect on the next read: the guard reads the window with the grant, so no
    token needs revoking."""
    lock(grant)
    if grant.status == SUSPENDED:
        raise GrantRefused("DWP has paused this access. You can change it when they restart it")
    if not narrowable(grant, now):
        raise GrantRefused("This access has already ended")
    held = windows.of(grant)
    if not window.within(held):
        raise GrantRefused("You can only make the dates shorter here, not longer", "date_from")
    if window == held:
        raise GrantRefused("You did not change the dates, so nothing has changed", "date_from")
    grant.date_from, grant.date_to = window.date_from, window.date_to
    _audit(grant, by, "grant.narrow", now, signer=signer, window_changed=True)


def revoke_all(claimant: Claimant, *, signer: Signer, now: datetime) -> int:
    """Stop all access: revoke every live grant of this claimant; returns how many ended."""
    live = db.session.scalars(
        db.select(Grant).where(Grant.claimant_id == claimant.id, Grant.status.in_(LIVE))
    ).all()
    for grant in live:
        revoke(grant, by=f"claimant:{claimant.id}", now=now, signer=signer)
    return len(live)


def _revoke_tokens(grant_ids: list[str], now: datetime) -> None:
    issued.revoke_issued(
        now,
        access=AccessToken.grant_id.in_(grant_ids),
        refresh=RefreshToken.grant_id.in_(grant_ids),
    )


def _close_doorways(grant_ids: list[str], now: datetime) -> None:
    """Unredeemed authorization codes and approved-but-uncollected device requests under these
    grants: neither may yield a token once the grant has ended."""
    db.session.execute(
        update(AuthorizationCode)
        .where(
            AuthorizationCode.grant_id.in_(grant_ids),
            AuthorizationCode.used_at.is_(None),
            AuthorizationCode.expires_at > now,
        )
        .values(expires_at=now)
    )
    db.session.execute(
        update(DeviceAuthorization)
        .where(
            DeviceAuthorization.grant_id.in_(grant_ids),
            DeviceAuthorization.status == "approved",  # device.APPROVED (device imports us)
        )
        .values(status="denied")
    )


def _audit(
    grant: Grant,
    actor: str,
    action: str,
    now: datetime,
    removed: Sequence[str] = (),
    added: Sequence[str] = (),
    outcome: str = "done",
    *,
    signer: Signer | None,
    window_changed: bool = False,
) -> None:
    audit.append(
        audit.Event(
            claimant_id=grant.claimant_id,
            token_id="",
            grant_id=grant.id,
            actor=actor,
            action=action,
            resource=f"grant:{grant.id}",
            outcome=outcome,
        ),
        now=now,
    )
    receipts.issue(grant, action, by=actor, now=now, signer=signer, removed=removed, added=added)
    if signer is not None and outcome == "done":
        # The other side is told, in this transaction (broker/messages/access_changes.py reacts).
        grant_events.publish(
            grant_events.GrantChanged(
                grant, action, actor, now, signer, removed, added, window_changed
            )
        )


def record_refused_open(grant: Grant, *, by: str, now: datetime) -> None:
    """Audit a representative's attempt to open a grant that no longer lets them in."""
    lock(grant)
    _audit(grant, by, "console.open", now, outcome="refused:grant_inactive", signer=None)


# Queries


def for_claimant(claimant_id: str, grant_id: str) -> Grant:
    grant = db.session.get(Grant, grant_id)
    if grant is None or grant.claimant_id != claimant_id:
        raise GrantNotFound(grant_id)
    return grant


def for_adviser(adviser_id: str, grant_id: str) -> Grant:
    grant = db.session.get(Grant, grant_id)
    if grant is None or grant.adviser_id != adviser_id:
        raise GrantNotFound(grant_id)
    return grant


def live_for_claimant(claimant_id: str, now: datetime, kind: str = "access") -> list[Grant]:
    """Grants that have not ended (active, suspended or awaiting review), soonest end first.

    Only grants of one kind: access grants unless asked for nominated contacts ("contact").
    """
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(
                Grant.claimant_id == claimant_id,
                Grant.kind == kind,
                Grant.status.in_((ACTIVE, SUSPENDED, PENDING)),
                Grant.ends_at > now,
            )
            .order_by(Grant.ends_at)
        )
    )


def all_for_claimant(claimant_id: str) -> list[Grant]:
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(Grant.claimant_id == claimant_id)
            .order_by(Grant.created_at.desc())
        )
    )


def ended_for_claimant(claimant_id: str, now: datetime, kind: str = "access") -> list[Grant]:
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(
                Grant.claimant_id == claimant_id,
                Grant.kind == kind,
                or_(Grant.status.in_(ENDED), Grant.ends_at <= now),
            )
            .order_by(Grant.created_at.desc())
        )
    )


def live_for_adviser(adviser_id: str, now: datetime) -> list[Grant]:
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(
                Grant.adviser_id == adviser_id,
                Grant.status.in_((ACTIVE, SUSPENDED)),
                Grant.ends_at > now,
            )
            .order_by(Grant.ends_at)
        )
    )


# The staff side and the rest of a grant's life: consent recorded by phone, nominated contacts,
# suspension, review and expiry. Each change below first locks the claimant's audit chain head
# and re-reads the grant, so it is ordered against every protected request (protect.py takes
# the same lock) and against any other change to this claimant's consent.

ACCESS, CONTACT = "access", "contact"
REVIEW_CAP_MONTHS = 6  # DWP guidance: the review period may be extended to six months, never beyond
REMINDER_DAYS = (14, 2)  # reminders go this many days before a review or end date
SWEEP_ACTOR = "system:sweep"


class FactMissing(GrantRefused):
    """A required fact is missing or wrong; `field` names the form field to point at."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def scopes_of(grant: Grant) -> list[scopes.Scope]:
    """The scope entries a grant names, from the catalogue or the nominated-contact list."""
    return scopes_named(grant.kind, grant.scope_names)


def scopes_named(kind: str, names: Sequence[str]) -> list[scopes.Scope]:
    """The scope entries for these names on a grant of this kind (a receipt's, say)."""
    return scopes.named(names, contact=kind == CONTACT)


def parse_contact_scopes(value: Sequence[str] | str) -> tuple[str, ...]:
    """Contact scope names in their list's order, no repeats; GrantRefused for unknown ones."""
    names = value.split() if isinstance(value, str) else list(value)
    unknown = sorted(set(names) - set(scopes.CONTACT_SCOPES))
    if unknown:
        raise FactMissing("scopes", f"We do not know this kind of contact: {', '.join(unknown)}")
    if not names:
        raise FactMissing("scopes", "Choose at least one way we can contact them")
    return tuple(name for name in scopes.CONTACT_SCOPES if name in set(names))


def create_contact(
    claimant: Claimant,
    *,
    signer: Signer,
    name: str,
    relationship: str,
    scope_names: Sequence[str] | str,
    purpose: str,
    ends_at: datetime,
    now: datetime,
    review_at: datetime | None = None,
    recorded_by: str = "claimant",
    staff: StaffMember | None = None,
) -> Grant:
    """A nominated contact (a grant of kind "contact"), replacing any live one; no commit.

    Communication about the claim may go through this person. No token is ever issued under it.
    """
    names = parse_contact_scopes(scope_names)
    name, relationship, purpose = name.strip(), relationship.strip(), purpose.strip()
    if not name:
        raise FactMissing("name", "Enter the name of the person we should contact")
    if not relationship:
        raise FactMissing("relationship", "Say who they are to you")
    if not purpose:
        raise FactMissing("purpose", "Say why we should contact them")
    if ends_at <= now:
        raise FactMissing("months", "The end date must be in the future")
    if ends_at > add_months(now, scopes.GRANT_CAP_MONTHS):
        raise FactMissing("months", "A nominated contact can last 6 months at most")
    review_at = _review_date(review_at, ends_at, now)
    _lock_chain(claimant.id)
    actor = _recorder(claimant, staff)
    for previous in live_for_claimant(claimant.id, now, kind=CONTACT):
        revoke(
            previous, by=actor, now=now, reason="Replaced by a new nominated contact", signer=signer
        )
    return _add(
        Grant(
            kind=CONTACT,
            adviser_id=None,
            representative_name=name,
            organisation_name="",
            information=describe(names, kind=CONTACT),
        ),
        claimant=claimant,
        names=names,
        purpose=purpose,
        relationship=relationship,
        review_at=review_at,
        ends_at=ends_at,
        recorded_by=recorded_by,
        staff=staff,
        actor=actor,
        now=now,
        signer=signer,
    )


def record_by_phone(
    claimant: Claimant,
    representative: Representative,
    *,
    signer: Signer,
    staff: StaffMember,
    consented: bool,
    scope_names: Sequence[str] | str,
    purpose: str,
    relationship: str,
    months: int,
    now: datetime,
    review_months: int = DEFAULT_REVIEW_MONTHS,
    kind: str = ACCESS,
    until_event: str | None = None,
) -> Grant:
    """Explicit consent the claimant gave staff by phone, with all five facts; no commit.

    The five facts: that the claimant consents to disclosure, what information, why it is
    needed, the relationship, and the representative's name (and organisation, for access).
    The review date is one month away unless staff extend it, to six months at most and never
    beyond the end. The claimant is sent a notice, so consent recorded in their name never
    goes unseen.
    """
    if not consented:
        raise FactMissing(
            "consented", "Confirm that the claimant agreed to us sharing their information"
        )
    if not representative.name.strip():
        raise FactMissing("name", "Enter the representative's name")
    if kind == ACCESS and not representative.organisation.strip():
        raise FactMissing("organisation", "Enter the representative's organisation")
    if not 1 <= review_months <= REVIEW_CAP_MONTHS:
        raise FactMissing("review_months", "The review date can be 1 to 6 months away")
    if not 1 <= months <= scopes.GRANT_CAP_MONTHS:
        raise FactMissing("months", "Consent can last 6 months at most")
    ends_at, review_at = add_months(now, months), add_months(now, review_months)
    if review_at > ends_at:
        raise FactMissing("review_months", "The review date cannot be after the consent ends")
    if kind == CONTACT:
        grant = create_contact(
            claimant,
            name=representative.name,
            relationship=relationship,
            scope_names=scope_names,
            purpose=purpose,
            ends_at=ends_at,
            now=now,
            review_at=review_at,
            recorded_by="staff",
            staff=staff,
            signer=signer,
        )
    elif kind == ACCESS:
        grant = give(
            claimant,
            representative,
            scope_names=scope_names,
            ends_at=ends_at,
            purpose=purpose,
            relationship=relationship,
            now=now,
            review_at=review_at,
            recorded_by="staff",
            staff=staff,
            signer=signer,
            until_event=until_event,
        )
    else:
        raise GrantRefused(f"Unknown kind of consent: {kind}")
    # The claimant is told, outside the service too (access_changes reacts to the change).
    return grant


def suspend(
    grant: Grant, *, signer: Signer, staff: StaffMember, reason: str, now: datetime
) -> None:
    """Pause a grant: its tokens stop on their next request; claimant and adviser are told."""
    reason = reason.strip()
    if not inputs.visible(reason):  # security.md 70
        raise FactMissing("reason", "Enter why you are suspending this consent")
    lock(grant)
    if grant.status == SUSPENDED:
        raise GrantRefused("This consent is already suspended")
    if grant.status != ACTIVE or now >= grant.ends_at:
        raise GrantRefused("This consent has ended, so it cannot be suspended")
    grant.suspended_by_staff_id = staff.id
    pause(
        grant, reason=reason, by=f"staff:{staff.id}", action="grant.suspend", signer=signer, now=now
    )


def pause(
    grant: Grant,
    *,
    reason: str,
    by: str,
    action: str,
    signer: Signer,
    now: datetime,
    agency_hold: str | None = None,
) -> None:
    """Stop a live grant now (DWP's suspension, or an agency's hold, agency_grants.py): audited
    as `action`, and both sides told. Checks are the caller's. No commit."""
    grant.status = SUSPENDED
    grant.suspended_at = now
    grant.suspension_reason = reason
    grant.agency_hold = agency_hold
    # Access tokens die now (authorises() refuses them anyway); refresh tokens are kept so that
    # lifting the suspension lets the adviser's system carry on without a new approval.
    revoke_access_tokens([grant.id], now)
    _audit(grant, by, action, now, signer=signer)


def lift_suspension(grant: Grant, *, signer: Signer, staff: StaffMember, now: datetime) -> None:
    """Restart a suspended grant that has not reached its end; claimant and adviser are told."""
    lock(grant)
    if grant.status != SUSPENDED:
        raise GrantRefused("This consent is not suspended")
    if grant.agency_hold is not None:
        # Issue 25: the adviser's organisation (or the broker's admin) stopped it; only they
        # restart it (agency_grants.release_for), so DWP cannot undo an agency's suspension.
        raise GrantRefused("The adviser's organisation paused this consent; it restarts it")
    if now >= grant.ends_at:
        raise GrantRefused("This consent has reached its end date. Record new consent instead")
    restart(grant, by=f"staff:{staff.id}", action="grant.lift_suspension", signer=signer, now=now)


def restart(grant: Grant, *, by: str, action: str, signer: Signer, now: datetime) -> None:
    """Undo `pause` (DWP lifting its suspension, an agency releasing its hold, or a dispute
    closed as resumed): the grant works again until its same end date, audited as `action`,
    both sides told. Other checks are the caller's; this one is every caller's: a pause an open
    dispute made is refused (GrantRefused), so only closing that dispute restarts it. No commit."""
    if held_by_dispute(grant):
        # Issue 27: the claimant said a line of the history was wrong; DWP's "Lift the
        # suspension" (or any other restart) cannot undo that behind the dispute's back.
        raise GrantRefused(
            "The claimant said a line of their history was wrong, which paused this consent. "
            "It restarts only when the dispute is closed as resumed (Disputes)"
        )
    grant.status = ACTIVE
    grant.suspended_at = None
    grant.suspension_reason = None
    grant.suspended_by_staff_id = None
    grant.agency_hold = None
    _audit(grant, by, action, now, signer=signer)


def held_by_dispute(grant: Grant) -> bool:
    """Whether an open dispute paused this grant (casework/disputes.py): its pause is the
    dispute's to lift, when staff close it (a dispute passed on leaves a pause DWP may lift)."""
    held = (
        db.select(Dispute.id)
        .where(Dispute.grant_id == grant.id, Dispute.paused.is_(True), Dispute.closed_at.is_(None))
        .limit(1)
    )
    return db.session.scalar(held) is not None


def needs_review(grant: Grant, now: datetime) -> bool:
    """True when the claimant should confirm or end this grant: its review date is near or past."""
    return (
        grant.status == ACTIVE
        and grant.review_at < grant.ends_at
        and now < grant.ends_at
        and now >= grant.review_at - timedelta(days=REMINDER_DAYS[0])
    )


def confirm_review(grant: Grant, *, signer: Signer, by: str, now: datetime) -> None:
    """The claimant keeps the grant until its same end date; it works again if review lapsed."""
    lock(grant)
    if grant.status == SUSPENDED:
        raise GrantRefused("DWP has paused this access. You can keep it when they restart it")
    if grant.status != ACTIVE or now >= grant.ends_at:
        raise GrantRefused("This access has already ended")
    if grant.review_at >= grant.ends_at:
        raise GrantRefused("This access does not need checking. It ends on its end date")
    grant.review_at = grant.ends_at
    grant.reviewed_at = now
    _audit(grant, by, "grant.review_confirm", now, signer=signer)


def end_at_review(grant: Grant, *, signer: Signer, by: str, now: datetime) -> None:
    """The claimant chose to end the grant when asked to review it: revoked at once."""
    lock(grant)
    revoke(grant, by=by, now=now, reason="Ended at review", signer=signer)


def expiry_due(now: datetime, *, limit: int) -> list[str]:
    """IDs of grants past their end date that still have a live status, oldest end first."""
    return list(
        db.session.scalars(
            db.select(Grant.id)
            .where(Grant.status.in_((ACTIVE, SUSPENDED, PENDING)), Grant.ends_at <= now)
            .order_by(Grant.ends_at, Grant.id)
            .limit(limit)
        )
    )


def count_expiry_due(now: datetime) -> int:
    return (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Grant)
            .where(Grant.status.in_((ACTIVE, SUSPENDED, PENDING)), Grant.ends_at <= now)
        )
        or 0
    )


def expire(grant_id: str, *, signer: Signer, now: datetime) -> bool:
    """End one grant that has reached its end date (idempotent); True if this call ended it."""
    grant = db.session.get(Grant, grant_id)
    if grant is None:
        return False
    lock(grant)
    if grant.status not in (ACTIVE, SUSPENDED, PENDING) or grant.ends_at > now:
        return False  # ended meanwhile, or already handled by another run
    grant.status = EXPIRED
    grant.ended_at = grant.ends_at
    grant.ended_by = SWEEP_ACTOR
    grant.end_reason = "Reached its end date"
    _revoke_tokens([grant.id], now)
    _audit(grant, SWEEP_ACTOR, "grant.expire", now, signer=signer)
    return True


@dataclass(frozen=True)
class Reminder:
    """One reminder owed to a grant's people: a review or end date is `lead_days` away or less."""

    grant: Grant
    target: str  # "review" | "end"
    at: datetime
    lead_days: int


def _reminder_window(now: datetime) -> ColumnElement[bool]:
    horizon = now + timedelta(days=REMINDER_DAYS[0])
    review_soon = (
        (Grant.review_at < Grant.ends_at) & (Grant.review_at > now) & (Grant.review_at <= horizon)
    )
    end_soon = (Grant.ends_at > now) & (Grant.ends_at <= horizon)
    return (Grant.status == ACTIVE) & (review_soon | end_soon)


def reminder_candidates(now: datetime, *, after_id: str = "", limit: int) -> list[Grant]:
    """Active grants with a review or end date within the reminder window, by ID (keyset pages)."""
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(_reminder_window(now), Grant.id > after_id)
            .order_by(Grant.id)
            .limit(limit)
        )
    )


def count_reminder_candidates(now: datetime) -> int:
    return (
        db.session.scalar(
            db.select(db.func.count()).select_from(Grant).where(_reminder_window(now))
        )
        or 0
    )


def reminders_for(grant: Grant, now: datetime) -> list[Reminder]:
    """The reminders this grant is owed now: 14 days before a date, then 2 days before it.

    If the sweep did not run during the 14-day window, only the 2-day reminder is owed.
    """
    targets = [("review", grant.review_at)] if grant.review_at < grant.ends_at else []
    targets.append(("end", grant.ends_at))
    owed = []
    for target, at in targets:
        if not now < at <= now + timedelta(days=REMINDER_DAYS[0]):
            continue
        lead = next(d for d in reversed(REMINDER_DAYS) if at - now <= timedelta(days=d))
        owed.append(Reminder(grant, target, at, lead))
    return owed


def _lock_chain(claimant_id: str) -> None:
    audit.lock_head(db.session.connection(), claimant_id)


def lock(grant: Grant) -> Grant:
    """Lock the claimant's chain head, then re-read the grant: every change committed before
    this moment is seen, and none commits until this transaction ends (a revoke, a narrowing,
    a protected read all take the same lock). Returns the grant."""
    _lock_chain(grant.claimant_id)
    db.session.refresh(grant)
    return grant


def revoke_access_tokens(grant_ids: list[str], now: datetime) -> None:
    issued.revoke_issued(now, access=AccessToken.grant_id.in_(grant_ids))


def live_contact(claimant_id: str, now: datetime) -> Grant | None:
    """The claimant's nominated contact that has not ended (there is at most one), if any."""
    live = live_for_claimant(claimant_id, now, kind=CONTACT)
    return live[0] if live else None


# Access that ends when the case does (broker/consent/case_tied.py): a grant may be tied to an
# event in the claimant's case, and still ends on its ordinary end date, the six-month cap, at the
# latest.

MR_DECIDED = "mr_decided"
UNTIL_EVENTS = (MR_DECIDED,)


def check_until_event(until_event: str | None) -> str | None:
    """The event a grant waits for (None: none), or GrantRefused for one we do not know."""
    if until_event in (None, ""):
        return None
    if until_event not in UNTIL_EVENTS:
        raise FactMissing("until_event", f"We do not know this event: {until_event}")
    return until_event


def end_with_case(
    grant: Grant, *, decision_id: str, ends_at: datetime, signer: Signer, now: datetime
) -> bool:
    """The case this grant was tied to has been decided: it now ends at `ends_at`, never later
    than it already did; receipt and audit. An end already reached expires it here and now.
    False if the grant had ended or was already moved by this event."""
    lock(grant)
    if grant.status not in LIVE or grant.ends_at <= now or grant.event_decision_id:
        return False
    grant.event_decision_id = decision_id
    grant.ends_at = min(grant.ends_at, ends_at)
    grant.review_at = min(grant.review_at, grant.ends_at)
    _audit(grant, "system:mr_decision", "grant.case_decided", now, signer=signer)
    if grant.ends_at <= now:
        db.session.flush()  # expire re-reads the grant: the new end must be in the database
        expire(grant.id, now=now, signer=signer)
    return True
