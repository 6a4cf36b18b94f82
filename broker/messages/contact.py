"""How a claimant wants to hear from us (issue 15): for each kind of message, which channels.

The letters inbox is always one of them, so every message can be found again on the phone. Text
messages need a UK mobile number. Post is recorded as a choice and shown to staff as a printed
letter that is due: the broker has no postal service to hand it to. Changing the preferences is
an event in the claimant's audit chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .. import i18n
from ..chain import audit
from ..extensions import db
from ..i18n import N_
from ..inputs import uk_mobile
from ..models import Account, Claimant, ContactAddress, ContactPreference, Grant

INBOX, EMAIL, SMS, POST = "inbox", "email", "sms", "post"
CHANNELS = (INBOX, EMAIL, SMS, POST)  # the order pages list them in
SENT_BY_THE_SWEEP = (EMAIL, SMS)

REMINDERS, ACCESS_NOTICES, LETTERS = "reminders", "access_notices", "letters"
KINDS = (REMINDERS, ACCESS_NOTICES, LETTERS)
DEFAULT_CHANNELS = (INBOX, EMAIL)

_REMINDER_KINDS = frozenset({"review_reminder", "end_reminder"})
LETTER_KIND = "dwp_letter"
# A claimant's own MR decision has arrived: news from DWP, so it goes where their letters go.
DECISION_LETTER_KIND = "mr_decision_letter"
_LETTER_KINDS = frozenset({LETTER_KIND, DECISION_LETTER_KIND})

# 07 and nine digits, or +44 7 and nine digits; spaces and dashes are ignored.
# Something, an @, and a domain with a dot in it: what a person can type by mistake is caught
# here; whether the address is real is proved by the code sent to it (broker/messages/nominated.py).
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
ADDRESS_MAX_CHARS = 200
ADDRESS_ERRORS = {
    "address_missing": N_("Enter their email address or UK mobile number"),
    "address_email": N_("Enter an email address in the right format, like name@example.com"),
    "address_mobile": N_("Enter a UK mobile number, like 07700 900 982"),
    "address_neither": N_(
        "Enter an email address, like name@example.com, or a UK mobile number, like 07700 900 982"
    ),
}


class PreferencesRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Preferences:
    channels: dict[str, tuple[str, ...]]  # kind of message -> channels, inbox first
    mobile: str | None
    chosen: bool  # False: the defaults, because the claimant never chose

    def for_kind(self, kind: str) -> tuple[str, ...]:
        return self.channels[kind]

    def as_json(self) -> dict[str, object]:
        return {
            "chosen": self.chosen,
            "channels": {kind: list(self.channels[kind]) for kind in KINDS},
            "mobile": self.mobile,
        }


def kind_of(message_kind: str) -> str:
    """Which of the three kinds a claimant chooses for an outbox message's kind belongs to."""
    if message_kind in _REMINDER_KINDS:
        return REMINDERS
    if message_kind in _LETTER_KINDS:
        return LETTERS
    return ACCESS_NOTICES


class AddressRefused(ValueError):
    """Not an email address or a UK mobile number; str() is one of ADDRESS_ERRORS' keys."""


def parse_address(typed: str) -> tuple[str, str]:
    """(EMAIL, address) or (SMS, +447...) for what someone typed as a contact's address;
    AddressRefused saying which one it looks like it was meant to be, when it is neither."""
    text = typed.strip()
    if not text:
        raise AddressRefused("address_missing")
    if "@" in text:
        if len(text) > ADDRESS_MAX_CHARS or not _EMAIL.fullmatch(text):
            raise AddressRefused("address_email")
        local, _at, domain = text.rpartition("@")
        return EMAIL, f"{local}@{domain.lower()}"
    number = uk_mobile(text)
    if number is not None:
        return SMS, number
    digits = sum(ch.isdigit() for ch in text)
    raise AddressRefused(
        "address_mobile" if digits >= len(text.replace(" ", "")) / 2 else "address_neither"
    )


def parse_kinds(value: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The kinds of message named, in KINDS order, no repeats; unknown names are left out."""
    return tuple(kind for kind in KINDS if kind in set(value))


@dataclass(frozen=True)
class Copy:
    """Where a copy of a claimant's message goes: their nominated contact's confirmed address."""

    grant_id: str
    channel: str
    address: str


COPY_SCOPE = "contact:letters"  # the nominated-contact scope that sends them copies


def copy_to(claimant_id: str, message_kind: str) -> Copy | None:
    """Whom a copy of this claimant's message could go to: their nominated contact, if they
    chose copies of this kind for a confirmed address. A candidate only: the copy is checked
    against the grant again, by the one rule, when it is sent (broker/messages/nominated.py)."""
    kind = kind_of(message_kind)
    for row, grant in db.session.execute(
        db.select(ContactAddress, Grant)
        .join(Grant, Grant.id == ContactAddress.grant_id)
        .where(
            ContactAddress.claimant_id == claimant_id,
            ContactAddress.confirmed_at.is_not(None),
            Grant.status == "active",
        )
    ).all():
        if kind in row.kinds.split() and COPY_SCOPE in grant.scope_names:
            return Copy(grant.id, row.channel, row.address)
    return None


def _ordered(channels: set[str] | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(channel for channel in CHANNELS if channel in {*channels, INBOX})


def of(claimant_id: str) -> Preferences:
    row = db.session.get(ContactPreference, claimant_id)
    if row is None:
        # Until they choose, the mobile DWP's systems gave (if any) is the one we hold.
        claimant = db.session.get(Claimant, claimant_id)
        given = claimant.mobile if claimant is not None else None
        return Preferences({kind: DEFAULT_CHANNELS for kind in KINDS}, given, chosen=False)
    return Preferences(
        {kind: _ordered(getattr(row, kind).split()) for kind in KINDS}, row.mobile, chosen=True
    )


def save(
    claimant_id: str,
    channels: dict[str, list[str]],
    *,
    mobile: str,
    language: str,
    now: datetime,
) -> Preferences:
    """Record the claimant's choices and language, audited in their chain; PreferencesRefused
    if a text message is chosen without a UK mobile number. Adds, no commit."""
    chosen = {
        kind: _ordered([c for c in channels.get(kind, ()) if c in CHANNELS]) for kind in KINDS
    }
    number = None
    if mobile.strip():
        number = uk_mobile(mobile)
        if number is None:
            raise PreferencesRefused("mobile", "mobile_format")
    if number is None and any(SMS in chosen[kind] for kind in KINDS):
        raise PreferencesRefused("mobile", "mobile_missing")
    head = audit.lock_head(db.session.connection(), claimant_id)
    row = db.session.get(ContactPreference, claimant_id)
    if row is None:
        row = ContactPreference(claimant_id=claimant_id)
        db.session.add(row)
    for kind in KINDS:
        setattr(row, kind, " ".join(chosen[kind]))
    row.mobile = number
    row.updated_at = now
    language = i18n.choose(db.session.get(Account, claimant_id), language)
    db.session.flush()
    summary = ";".join(f"{kind}={'+'.join(chosen[kind])}" for kind in KINDS)
    summary += f";language={language}"
    audit.append(
        audit.Event(
            claimant_id=claimant_id,
            token_id="",
            grant_id="",
            actor=f"claimant:{claimant_id}",
            action="contact.preferences",
            resource=summary,
            outcome="done",
        ),
        now=now,
        head=head,
    )
    return of(claimant_id)
