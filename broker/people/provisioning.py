"""Claimants provisioned by DWP's systems (issue 25): a Universal Credit claimant exists here
because DWP's systems say so, with the reference, name, language and contact details they hold.

A provisioned claimant has no password: they sign in through GOV.UK One Login (or, in the demo,
with the demo's local accounts). Every creation and every change of their details is an event
on their own audit chain, naming the staff system's key that made it and which fields changed
(never the values: the chain is shown to others, the details are personal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from ..chain import audit
from ..extensions import db
from ..i18n import LANGUAGES
from ..inputs import uk_mobile, visible
from ..models import Account, Claimant
from . import accounts

PROVISIONED = "claimant.provisioned"
CHANGED = "claimant.details_changed"
NO_PASSWORD = "!provisioned"  # noqa: S105 (not an Argon2 hash: no password ever matches it)
REFERENCE = re.compile(r"[A-Z0-9][A-Z0-9-]{2,39}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
MAX_NAME = 200


class DetailsRefused(ValueError):
    """A field that is missing, unknown or malformed: `field` names it, str() says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AlreadyThere(ValueError):
    """The reference (or the email address) belongs to someone already."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Details:
    """A claimant's details as DWP's systems send them; None is "not given"."""

    reference: str | None = None
    name: str | None = None
    language: str | None = None
    email: str | None = None
    mobile: str | None = None

    def given(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


def parse(body: Mapping[str, Any], *, allowed: tuple[str, ...]) -> Details:
    """The details in a request body, each checked; DetailsRefused names the first bad field."""
    for key in body:
        if key not in allowed:
            raise DetailsRefused(key, f"{key} is not a field here; send only {', '.join(allowed)}")
    values: dict[str, str] = {}
    for key, value in body.items():
        if value is None and key in ("email", "mobile"):
            continue
        if not isinstance(value, str):
            raise DetailsRefused(key, f"{key} must be a string")
        values[key] = _checked(key, value.strip())
    return Details(**values)


def _checked(field: str, value: str) -> str:
    if field == "reference":
        reference = value.upper()
        if not REFERENCE.fullmatch(reference):
            raise DetailsRefused(
                field, "reference must be 3 to 40 letters, digits or hyphens, like UC-1001-AM"
            )
        return reference
    if field == "name":
        if not visible(value) or len(value) > MAX_NAME:  # security.md 70
            raise DetailsRefused(field, f"name must be 1 to {MAX_NAME} characters")
        return value
    if field == "language":
        if value not in LANGUAGES:
            raise DetailsRefused(field, "language must be en (English) or cy (Welsh)")
        return value
    if field == "email":
        if len(value) > 254 or not EMAIL.fullmatch(value):
            raise DetailsRefused(field, "email must be an email address, like name@example.com")
        return accounts.normalise(value)
    number = uk_mobile(value)
    if number is None:
        raise DetailsRefused(field, "mobile must be a UK mobile number, like 07700 900982")
    return number


def provision(details: Details, *, by: str, now: datetime) -> Claimant:
    """A new claimant with these details; AlreadyThere if the reference or email is taken.
    Adds, no commit."""
    for field in ("reference", "name", "language"):
        if getattr(details, field) is None:
            raise DetailsRefused(field, f"{field} is required")
    if details.email is None and details.mobile is None:
        raise DetailsRefused("email", "give an email address, a UK mobile number, or both")
    assert details.reference is not None and details.name is not None
    if db.session.scalar(db.select(Claimant).where(Claimant.reference == details.reference)):
        raise AlreadyThere("reference", "A claimant with that reference is already here")
    _email_free(details.email, None)
    account = Account(
        # Without an email the reference is the account's name: unique, and never an address.
        username=details.email or details.reference.lower(),
        password_hash=NO_PASSWORD,
        role="claimant",
        name=details.name,
        language=details.language,
        created_at=now,
    )
    db.session.add(account)
    db.session.flush()
    claimant = Claimant(id=account.id, reference=details.reference, mobile=details.mobile)
    db.session.add(claimant)
    db.session.flush()
    audit.start_chain(claimant.id)
    _audit(claimant, PROVISIONED, details.given(), by=by, now=now)
    return claimant


def change(claimant: Claimant, details: Details, *, by: str, now: datetime) -> list[str]:
    """Change the details given (reference excepted); the fields that changed, audited if any.
    Adds, no commit."""
    if details.reference is not None:
        raise DetailsRefused("reference", "reference cannot be changed")
    account = claimant.account
    changed = []
    if details.name is not None and details.name != account.name:
        account.name = details.name
        changed.append("name")
    if details.language is not None and details.language != account.language:
        account.language = details.language
        changed.append("language")
    if details.email is not None and details.email != account.username:
        _email_free(details.email, account.id)
        account.username = details.email
        changed.append("email")
    if details.mobile is not None and details.mobile != claimant.mobile:
        claimant.mobile = details.mobile
        changed.append("mobile")
    if changed:
        db.session.flush()
        _audit(claimant, CHANGED, changed, by=by, now=now)
    return changed


def _email_free(email: str | None, account_id: str | None) -> None:
    if email is None:
        return
    holder = db.session.scalar(db.select(Account).where(Account.username == email))
    if holder is not None and holder.id != account_id:
        raise AlreadyThere("email", "Another account already has that email address")


def _audit(claimant: Claimant, action: str, named: list[str], *, by: str, now: datetime) -> None:
    resource = f"claimant:{claimant.reference};fields={','.join(named)}"
    audit.append(audit.untokened(claimant.id, actor=by, action=action, resource=resource), now=now)


def as_json(claimant: Claimant) -> dict[str, Any]:
    account = claimant.account
    return {
        "reference": claimant.reference,
        "name": account.name,
        "language": account.language,
        "email": account.username if "@" in account.username else None,
        "mobile": claimant.mobile,
    }
