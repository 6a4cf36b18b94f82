"""Every rule of a grant's life: create, revoke, suspend, review, expire; the six-month cap and
each scope's own maximum; and the queries that find grants. Only this module changes a status.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update

import scopes

from . import audit
from .extensions import db
from .models import AccessToken, Adviser, Claimant, Grant, RefreshToken, StaffMember

PENDING, ACTIVE, SUSPENDED, REVOKED, EXPIRED = "pending", "active", "suspended", "revoked", "expired"
ENDED = (REVOKED, EXPIRED)
DURATION_PRESETS_MONTHS = (1, 3, 6)
DEFAULT_REVIEW_MONTHS = 1  # DWP guidance: review explicit consent monthly unless extended


class GrantRefused(ValueError):
    """A grant that the rules do not allow; the message is written for the person asking."""


class GrantNotFound(LookupError):
    """No such grant for this person (or it is not theirs to see)."""


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later, clamped to the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


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


def create(
    claimant: Claimant,
    representative: Representative,
    *,
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
    kind: str = "access",
) -> Grant:
    """A new active grant, checked against every rule; adds it and its audit event, no commit."""
    try:
        names = scopes.parse(scope_names)
    except scopes.UnknownScope as exc:
        raise GrantRefused(f"We do not know this kind of access: {', '.join(exc.names)}") from None
    if not names:
        raise GrantRefused("Choose at least one thing they can see or do")
    purpose, relationship = purpose.strip(), relationship.strip()
    if not purpose:
        raise GrantRefused("Say why they need access")
    if not relationship:
        raise GrantRefused("Say who they are to you")
    check_end(names, starts_at=now, ends_at=ends_at)
    review_at = review_at or ends_at
    if review_at > ends_at or review_at <= now:
        raise GrantRefused("The review date must be after today and no later than the end date")
    grant = Grant(
        kind=kind,
        claimant_id=claimant.id,
        adviser_id=representative.adviser.id if representative.adviser else None,
        representative_name=representative.name,
        organisation_name=representative.organisation,
        client_id=client_id,
        scopes=" ".join(names),
        purpose=purpose,
        relationship=relationship,
        information=information or describe(names),
        authorization_details=json.dumps(authorization_details) if authorization_details else None,
        status=ACTIVE,
        created_at=now,
        starts_at=now,
        review_at=review_at,
        ends_at=ends_at,
        recorded_by=recorded_by,
        recorded_by_staff_id=staff.id if staff else None,
    )
    db.session.add(grant)
    db.session.flush()
    actor = f"staff:{staff.id}" if staff else f"claimant:{claimant.id}"
    if recorded_by == "oauth":
        actor = f"client:{client_id}"
    _audit(grant, actor, "grant.create", now)
    return grant


def check_end(names: Sequence[str], *, starts_at: datetime, ends_at: datetime) -> None:
    """Refuse an end date in the past or beyond the cap for these scopes."""
    if ends_at <= starts_at:
        raise GrantRefused("The end date must be in the future")
    limit = latest_end(names, starts_at)
    if ends_at > limit:
        months = scopes.longest_months(names)
        if months < scopes.GRANT_CAP_MONTHS:
            narrow = [scopes.lookup(n).title_in("en").lower() for n in names
                      if scopes.lookup(n).max_months == months]  # fmt: skip
            raise GrantRefused(
                f"Access to {' and '.join(narrow)} can last {months} months at most"
            )
        raise GrantRefused("Access can last 6 months at most")


def describe(names: Sequence[str], language: str = "en") -> str:
    return "; ".join(scopes.lookup(n).title_in(language) for n in names)


def authorises(status: str, review_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """The one rule for whether a grant lets its tokens work at this moment."""
    return status == ACTIVE and now < ends_at and now < review_at


def state_at(grant: Grant, now: datetime) -> str:
    """What a person should be told about a grant right now, computed, never stored."""
    if grant.status in (REVOKED, SUSPENDED, PENDING):
        return grant.status
    if grant.status == EXPIRED or now >= grant.ends_at:
        return EXPIRED
    if now >= grant.review_at:
        return "review_overdue"
    return "current"


def revoke(grant: Grant, *, by: str, now: datetime, reason: str = "") -> None:
    """End a grant at once; every token under it stops working on its next request."""
    if grant.status in ENDED:
        return
    grant.status = REVOKED
    grant.ended_at = now
    grant.ended_by = by
    grant.end_reason = reason or None
    _revoke_tokens([grant.id], now)
    _audit(grant, by, "grant.revoke", now)


def revoke_all(claimant: Claimant, *, now: datetime) -> int:
    """Stop all access: revoke every live grant of this claimant; returns how many ended."""
    live = db.session.scalars(
        db.select(Grant).where(
            Grant.claimant_id == claimant.id, Grant.status.in_((ACTIVE, SUSPENDED, PENDING))
        )
    ).all()
    for grant in live:
        revoke(grant, by=f"claimant:{claimant.id}", now=now)
    return len(live)


def _revoke_tokens(grant_ids: list[str], now: datetime) -> None:
    db.session.execute(
        update(AccessToken)
        .where(AccessToken.grant_id.in_(grant_ids), AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.grant_id.in_(grant_ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _audit(grant: Grant, actor: str, action: str, now: datetime) -> None:
    audit.append(
        audit.Event(
            claimant_id=grant.claimant_id,
            token_id="",
            grant_id=grant.id,
            actor=actor,
            action=action,
            resource=f"grant:{grant.id}",
            outcome="done",
        ),
        now=now,
    )


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


def live_for_claimant(claimant_id: str, now: datetime) -> list[Grant]:
    """Grants that have not ended (active, suspended or awaiting review), soonest end first."""
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(
                Grant.claimant_id == claimant_id,
                Grant.status.in_((ACTIVE, SUSPENDED, PENDING)),
                Grant.ends_at > now,
            )
            .order_by(Grant.ends_at)
        )
    )


def all_for_claimant(claimant_id: str) -> list[Grant]:
    return list(
        db.session.scalars(
            db.select(Grant).where(Grant.claimant_id == claimant_id).order_by(Grant.created_at.desc())
        )
    )


def ended_for_claimant(claimant_id: str, now: datetime) -> list[Grant]:
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(
                Grant.claimant_id == claimant_id,
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
