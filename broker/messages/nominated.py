"""A nominated contact's address, and the copies of the claimant's messages they get (issue 23).

The claimant (online, or through DWP staff on the phone) names a contact with an email address
or a UK mobile number, and chooses which kinds of their messages (broker/messages/contact.py KINDS)
the contact gets a copy of. Nothing else is sent to an address until it is confirmed: a 6-digit code
goes to it through the outbox and the real senders, and the claimant or staff type in the code
the contact reads out. Wrong codes are counted per contact (ratelimit.guess), so guessing at one
contact's code never locks anyone else out; new codes are limited per contact too, so nobody can
use us to flood someone's phone.

A copy is queued with the claimant's message (broker/messages/notify.py asks contact.copy_to) and
checked again when it is due to go, by the disclosure rule (broker/consent/disclosure.py): a copy
the grant no longer allows is withheld. Sent or withheld, each copy is an audit event on the
claimant's chain, under the contact's grant. The address itself never goes in the chain: it is
a third party's personal data, and the chain cannot forget.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update

from .. import i18n, ratelimit
from ..chain import audit
from ..consent import disclosure, grants
from ..db import new_id
from ..extensions import db
from ..i18n import N_
from ..models import Claimant, ContactAddress, Grant, OutboxMessage
from ..opaque import hash_secret
from . import contact, notify

CODE_DIGITS = 6
CODE_MINUTES = 60
CODES_PER_WINDOW = 5  # codes sent to one contact per CODES_WINDOW
CODES_WINDOW = timedelta(hours=1)
COPY_SCOPE = contact.COPY_SCOPE
CODE_REMOVED = "[The code in this message was removed once it was sent.]"

# For the claimant's forms; staff read the English.
COPIES_MISSING = N_("Choose what we send them a copy of")
CODE_WRONG = N_("That code is not right. Check it and try again")
CODE_EXPIRED = N_("That code has run out. Send them a new one")
CODE_MISSING = N_("Enter the 6-digit code they got")


class ContactRefused(grants.FactMissing):
    """An address or a choice of copies the rules refuse; `field` names the form's field."""


class CodeRefused(Exception):
    """The code typed does not confirm the address; str() is the message for the person."""


class TooManyCodes(Exception):
    """Enough codes went to this contact for now; the caller answers 429."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many codes")
        self.retry_after = retry_after


def new_code() -> str:
    """Six digits from the system's CSPRNG."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def digits_of(typed: str) -> str:
    """A code as typed, without spaces or dashes."""
    return "".join(ch for ch in typed if not ch.isspace() and ch != "-")


def code_matches(typed: str, code_hash: str | None) -> bool:
    code = digits_of(typed)
    if code_hash is None or len(code) != CODE_DIGITS or not code.isdigit():
        return False
    return hmac.compare_digest(hash_secret(code), code_hash)


def check(
    scope_names: Sequence[str], typed_address: str, kinds: Sequence[str]
) -> tuple[str, str, tuple[str, ...]] | None:
    """The channel, address and kinds of copies a contact with these scopes would have, or None
    when they get no copies and no address was given. ContactRefused, naming the field, for an
    address that is neither an email address nor a UK mobile number, or copies with no kind."""
    wants_copies = COPY_SCOPE in scope_names
    if not typed_address.strip() and not wants_copies:
        return None
    try:
        channel, address = contact.parse_address(typed_address)
    except contact.AddressRefused as refusal:
        raise ContactRefused("address", contact.ADDRESS_ERRORS[str(refusal)]) from None
    chosen = contact.parse_kinds(list(kinds)) if wants_copies else ()
    if wants_copies and not chosen:
        raise ContactRefused("copies", COPIES_MISSING)
    return channel, address, chosen


def attach(
    grant: Grant,
    *,
    typed_address: str,
    kinds: Sequence[str],
    by: str,
    now: datetime,
    confirmed_at: datetime | None = None,
) -> ContactAddress | None:
    """Give a new nominated contact their address and copies, and send the code that confirms
    the address (unless it was confirmed already, by a request they made). Audited; no commit."""
    checked = check(grant.scope_names, typed_address, kinds)
    if checked is None:
        return None
    channel, address, chosen = checked
    row = ContactAddress(
        grant_id=grant.id,
        claimant_id=grant.claimant_id,
        channel=channel,
        address=address,
        kinds=" ".join(chosen),
        confirmed_at=confirmed_at,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    _audit(grant, by, "contact.address", f"contact_address:{channel}", "done", now)
    if confirmed_at is None:
        send_code(row, by=by, now=now)
    return row


def address_of(grant_id: str) -> ContactAddress | None:
    return db.session.get(ContactAddress, grant_id)


def addresses_for(grant_ids: Sequence[str]) -> dict[str, ContactAddress]:
    """The addresses of these contacts' grants, by grant ID (a page of contact cards)."""
    if not grant_ids:
        return {}
    return {
        row.grant_id: row
        for row in db.session.scalars(
            db.select(ContactAddress).where(ContactAddress.grant_id.in_(list(grant_ids)))
        )
    }


def send_code(row: ContactAddress, *, by: str, now: datetime) -> None:
    """A new code to the contact's address (the last one stops working); TooManyCodes once
    CODES_PER_WINDOW went to this contact within CODES_WINDOW. Audited; no commit."""
    grant = db.session.get(Grant, row.grant_id)
    claimant = db.session.get(Claimant, row.claimant_id)
    assert grant is not None and claimant is not None  # foreign keys
    key = [f"contact-code-sent:{row.grant_id}"]
    try:
        ratelimit.check(key, limit=CODES_PER_WINDOW, window=CODES_WINDOW, now=now)
    except ratelimit.TooManyAttempts as limit:
        raise TooManyCodes(limit.retry_after) from None
    ratelimit.record_failure(key, now=now)  # a send, counted like a try
    code = new_code()
    row.code_hash = hash_secret(code)
    row.code_expires_at = now + timedelta(minutes=CODE_MINUTES)
    language = i18n.known(claimant.account.language)
    with force_locale(language):
        body = _(
            "Your code is %(code)s. %(name)s wants us to send you copies of messages about "
            "their Universal Credit claim. Give this code to them, or to DWP if we call you. "
            "It works for %(minutes)d minutes. If you do not know them, ignore this message.",
            code=code,
            name=claimant.name,
            minutes=CODE_MINUTES,
        )
    notify.queue_to_address(
        account_id=claimant.id,
        kind=notify.CONTACT_CODE,
        body=body,
        channel=row.channel,
        address=row.address,
        language=language,
        contact_grant_id=row.grant_id,
        dedupe_key=f"{notify.CONTACT_CODE}:{row.grant_id}:{new_id()}",
        now=now,
    )
    _audit(grant, by, "contact.code_sent", f"contact_address:{row.channel}", "done", now)


def confirm(grant: Grant, typed: str, *, by: str, now: datetime) -> None:
    """The address is confirmed by the code sent to it; CodeRefused (the wrong try counted and
    audited: the caller keeps it) or ratelimit.TooManyAttempts. Idempotent; no commit."""
    row = address_of(grant.id)
    if row is None:
        raise CodeRefused(CODE_MISSING)
    if row.confirmed_at is not None:
        return
    if not digits_of(typed):
        raise CodeRefused(CODE_MISSING)  # nothing typed: not a try

    def right_code() -> ContactAddress | None:
        if row.code_expires_at is None or now >= row.code_expires_at:
            return None
        return row if code_matches(typed, row.code_hash) else None

    found = ratelimit.guess([f"contact-code:{grant.id}"], right_code, now=now)
    resource = f"contact_address:{row.channel}"
    if found is None:
        expired = row.code_expires_at is not None and now >= row.code_expires_at
        reason = "expired_code" if expired and code_matches(typed, row.code_hash) else "wrong_code"
        _audit(grant, by, "contact.confirm", resource, f"refused:{reason}", now)
        raise CodeRefused(CODE_EXPIRED if reason == "expired_code" else CODE_WRONG)
    row.confirmed_at, row.code_hash, row.code_expires_at = now, None, None
    db.session.flush()
    _audit(grant, by, "contact.confirm", resource, "done", now)


# Copies, when they are due to be sent (the sweep calls these around each one)


def why_not(grant: Grant, message_kind: str, address: str, now: datetime) -> str | None:
    """Why a copy of a message of this kind may not go to this contact's address now, or None.

    The disclosure rule (broker/consent/disclosure.py: a live grant holding the scope that sends
    copies), a confirmed address that is the one the copy was queued for, and the kind of
    message among those the claimant chose.
    """
    reason = disclosure.why_not(disclosure.Consent.of(grant), COPY_SCOPE, now)
    if reason is not None:
        return reason
    row = address_of(grant.id)
    if row is None or row.confirmed_at is None or row.address != address:
        return "not_confirmed"
    if contact.kind_of(message_kind) not in row.kinds.split():
        return "kind_not_chosen"
    return None


def prepare(message: notify.Message, *, now: datetime) -> bool:
    """True if this delivery to a contact may be sent now. A copy the rule refuses is withheld
    and audited instead. Locks the claimant's chain head, so a stop is seen. No commit."""
    if message.kind in notify.TO_CONTACT_KINDS or not message.contact_grant_id:
        return True  # the code that confirms an address: the address's own check
    grant = db.session.get(Grant, message.contact_grant_id)
    assert grant is not None  # a foreign key
    grants.lock(grant)  # a stop committed before this moment is seen
    reason = why_not(grant, message.kind, message.address, now)
    if reason is None:
        return True
    notify.mark_withheld(message, reason, now=now)
    _audit(
        grant, "system:contact", "contact.copy", f"letter:{message.id}", f"refused:{reason}", now
    )
    return False


def sent(message: notify.Message, *, now: datetime) -> None:
    """After the sender took a delivery to a contact: a copy is audited as told; a code's text
    leaves the outbox (only its hash is kept, on the address). No commit."""
    if message.kind in notify.TO_CONTACT_KINDS:
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message.id).values(body=CODE_REMOVED)
        )
        return
    grant = db.session.get(Grant, message.contact_grant_id)
    if grant is not None:
        _audit(grant, "system:contact", "contact.copy", f"letter:{message.id}", "allowed", now)


def _audit(grant: Grant, by: str, action: str, resource: str, outcome: str, now: datetime) -> None:
    event = audit.untokened(
        grant.claimant_id, by, action, resource, outcome=outcome, grant_id=grant.id
    )
    audit.append(event, now=now)
