"""Advice agencies (issue 25): an organisation's kind and regulator or quality mark, the prefix
of its advisers' codes, its admins, and suspending an adviser or a whole organisation.

Suspending here marks the person or the organisation only; what that does to consent (every
grant to them stops at once) is broker/consent/agency_grants.py, called alongside by the web
and the commands, because a person exists apart from any consent (people never imports
consent). Every step is an audit event on the organisation's own hash chain, keyed by its ID
(audit_heads holds one chain per key, so `verify-audit` and the checkpoints cover it too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ..chain import audit
from ..clock import from_micros
from ..extensions import db
from ..models import Adviser, AuditEvent, Organisation

KINDS = {
    "citizens_advice": "Citizens Advice",
    "law_centre": "Law centre",
    "welfare_rights_unit": "Welfare rights unit",
    "charity": "Charity",
    "other": "Other",
}


@dataclass(frozen=True)
class MarkScheme:
    label: str
    shape: re.Pattern[str]
    example: str


# What each reference looks like, so that a typing slip is caught when it is entered; whether
# the number is really held is for the register (OISC, the FCA, the AQS and Lexcel's lists).
MARKS = {
    "oisc": MarkScheme("OISC", re.compile(r"[A-Z][0-9]{9}"), "F201800123"),
    "fca": MarkScheme("FCA", re.compile(r"[0-9]{6,7}"), "123456"),
    "aqs": MarkScheme("Advice Quality Standard", re.compile(r"AQS[0-9]{3,6}"), "AQS1234"),
    "lexcel": MarkScheme("Lexcel", re.compile(r"[0-9]{4,8}"), "123456"),
}
PREFIX = re.compile(r"[A-Z]{2,4}")
_SMALL_WORDS = {"and", "of", "the", "for", "&"}


class OrganisationRefused(ValueError):
    """Input the rules refuse; `field` names the form field (or command option) it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def create(
    name: str,
    *,
    kind: str,
    mark_scheme: str,
    mark_number: str,
    code_prefix: str = "",
    by: str,
    now: datetime,
) -> Organisation:
    """A new organisation, audited as `organisation.create`. OrganisationRefused names the
    field at fault. No commit."""
    name = " ".join(name.split())
    if not name:
        raise OrganisationRefused("name", "Enter the organisation's name")
    if kind not in KINDS:
        raise OrganisationRefused("kind", "Choose what kind of organisation it is")
    scheme, number = check_mark(mark_scheme, mark_number)
    prefix = code_prefix.strip().upper() or derive_prefix(name)
    if not PREFIX.fullmatch(prefix):
        raise OrganisationRefused("code_prefix", "The code prefix must be 2 to 4 letters, like NSA")
    if db.session.scalar(db.select(Organisation.id).where(Organisation.name == name)):
        raise OrganisationRefused("name", "An organisation with this name already exists")
    organisation = Organisation(
        name=name,
        kind=kind,
        mark_scheme=scheme,
        mark_number=number,
        code_prefix=prefix,
        created_at=now,
    )
    db.session.add(organisation)
    db.session.flush()
    record(organisation.id, by, "organisation.create", f"organisation:{organisation.id}", now)
    return organisation


def check_mark(scheme: str, number: str) -> tuple[str, str]:
    """The scheme's key and the number as stored (capitals, no spaces or dashes)."""
    scheme = scheme.strip().lower()
    if scheme not in MARKS:
        raise OrganisationRefused(
            "mark_scheme", "Choose the regulator or quality mark: OISC, FCA, AQS or Lexcel"
        )
    shape = MARKS[scheme]
    cleaned = "".join(ch for ch in number.upper() if ch.isalnum())
    if not shape.shape.fullmatch(cleaned):
        raise OrganisationRefused(
            "mark_number",
            f"Enter the {shape.label} number in the right shape, like {shape.example}",
        )
    return scheme, cleaned


def derive_prefix(name: str) -> str:
    """Initials of the name's words (at most 4), padded from the first word when it is one."""
    words = [w for w in re.findall(r"[A-Za-z]+", name) if w.lower() not in _SMALL_WORDS]
    initials = "".join(w[0] for w in words[:4]).upper()
    if len(initials) < 2 and words:
        initials = words[0][:3].upper()
    return initials if PREFIX.fullmatch(initials) else "ORG"


def prefix_of(organisation: Organisation) -> str:
    """The prefix its advisers' codes carry (organisations made before issue 25 have none
    stored: derived from the name, then kept)."""
    if not organisation.code_prefix:
        organisation.code_prefix = derive_prefix(organisation.name)
    return organisation.code_prefix


def all_organisations() -> list[Organisation]:
    return list(db.session.scalars(db.select(Organisation).order_by(Organisation.name)))


def by_id(organisation_id: str) -> Organisation | None:
    return db.session.get(Organisation, organisation_id)


def named(name: str) -> Organisation | None:
    wanted = " ".join(name.split())
    return db.session.scalar(db.select(Organisation).where(Organisation.name == wanted))


def advisers_of(organisation_id: str) -> list[Adviser]:
    return list(
        db.session.scalars(
            db.select(Adviser).where(Adviser.organisation_id == organisation_id)
        ).unique()
    )


def adviser_in(organisation_id: str, adviser_id: str) -> Adviser | None:
    """The adviser with this ID if they belong to this organisation: an organisation admin
    reaches no one else's advisers (security.md 61)."""
    adviser = db.session.get(Adviser, adviser_id)
    if adviser is None or adviser.organisation_id != organisation_id:
        return None
    return adviser


def suspend_adviser(adviser: Adviser, *, by: str, now: datetime) -> None:
    """Mark the adviser suspended (consent: agency_grants.hold_for). No commit."""
    _mark_suspended(adviser, "adviser", adviser.organisation_id, by=by, now=now, suspended=True)


def resume_adviser(adviser: Adviser, *, by: str, now: datetime) -> None:
    _mark_suspended(adviser, "adviser", adviser.organisation_id, by=by, now=now, suspended=False)


def suspend(organisation: Organisation, *, by: str, now: datetime) -> None:
    _mark_suspended(organisation, "organisation", organisation.id, by=by, now=now, suspended=True)


def resume(organisation: Organisation, *, by: str, now: datetime) -> None:
    _mark_suspended(organisation, "organisation", organisation.id, by=by, now=now, suspended=False)


def _mark_suspended(
    target: Adviser | Organisation,
    kind: str,
    organisation_id: str,
    *,
    by: str,
    now: datetime,
    suspended: bool,
) -> None:
    """Suspend or resume an adviser or a whole organisation, on the organisation's chain."""
    if (target.suspended_at is not None) == suspended:
        state = "already suspended" if suspended else "not suspended"
        raise OrganisationRefused(kind, f"{target.name} is {state}")
    target.suspended_at = now if suspended else None
    step = "suspend" if suspended else "resume"
    record(organisation_id, by, f"{kind}.{step}", f"{kind}:{target.id}", now)


def record(organisation_id: str, actor: str, action: str, resource: str, now: datetime) -> None:
    """An organisation step on the organisation's own chain (started on its first event)."""
    audit.start_chain(organisation_id)
    audit.append(audit.untokened(organisation_id, actor, action, resource), now=now)


def events(organisation_id: str, limit: int = 200) -> list[tuple[datetime, str, str, str]]:
    """The organisation's steps, newest first: (when, who, what, on what)."""
    rows = db.session.execute(
        db.select(AuditEvent.occurred_us, AuditEvent.actor, AuditEvent.action, AuditEvent.resource)
        .where(AuditEvent.claimant_id == organisation_id)
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    ).all()
    return [(from_micros(us), actor, action, resource) for us, actor, action, resource in rows]
