"""Who a person signing in through an OpenID Connect provider is here (issue 25).

A provider identity (issuer, subject) is linked to one account, once. A claimant's first One
Login sign-in links by email when exactly one claimant's email (their username) is the verified
email One Login gives; otherwise the claimant types their UC reference and we send a 6-digit
code to the contact details we already hold, so that only the person who can read those links.
Codes are guessed against per claimant and per network address (ratelimit.guess), so a stranger
guessing at one claimant's code never locks another claimant out. Once linked, the claimant
signs in through One Login only: their password is refused (accounts.sign_in). Every link is an
event on the claimant's chain.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from .. import ratelimit
from ..chain import audit
from ..extensions import db
from ..models import Account, Claimant, ExternalIdentity, ExternalLinkCode, StaffMember
from ..opaque import hash_secret
from . import records

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=15)
CODES_PER_WINDOW = 3  # codes sent to one claimant's details per CODES_WINDOW: no flooding
CODES_WINDOW = timedelta(hours=1)
ADDRESS_CODES_PER_WINDOW = 10  # from one network address, whoever it names
BY_EMAIL, BY_CODE, BY_STAFF_EMAIL, NEW_STAFF = "email", "code", "staff-email", "new-staff"


class CodeRefused(Exception):
    """The code typed does not link; nothing is linked (the wrong try is counted)."""


class TooManyCodes(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many codes")
        self.retry_after = retry_after


class AlreadyLinked(Exception):
    """The account is linked to another identity at this provider already."""


def linked_account(issuer: str, subject: str) -> Account | None:
    return db.session.scalar(
        select(Account)
        .join(ExternalIdentity, ExternalIdentity.account_id == Account.id)
        .where(ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject)
    )


def uses_external_sign_in(account_id: str) -> bool:
    """True once the account is linked to any provider: its password no longer signs in."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ExternalIdentity)
            .where(ExternalIdentity.account_id == account_id)
        )
        > 0
    )


def claimant_by_verified_email(email: object, verified: object) -> Claimant | None:
    """The one claimant whose email this is, if the provider says it verified it; None when
    unverified, or when none or more than one claimant has it (then the reference and a code)."""
    if verified is not True or not isinstance(email, str) or not email.strip():
        return None
    found = db.session.scalars(
        select(Claimant)
        .join(Account, Account.id == Claimant.id)
        .where(func.lower(Account.username) == email.strip().lower(), Account.role == "claimant")
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


def link(account: Account, issuer: str, subject: str, *, how: str, now: datetime) -> None:
    """Link the identity to the account; on a claimant's chain too. No commit."""
    already = db.session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.account_id == account.id, ExternalIdentity.issuer == issuer
        )
    )
    if already is not None and already.subject != subject:
        raise AlreadyLinked()
    if already is None:
        db.session.add(
            ExternalIdentity(issuer=issuer, subject=subject, account_id=account.id, linked_at=now)
        )
        db.session.flush()
    if account.role == "claimant" and already is None:
        event = audit.untokened(
            account.id, f"claimant:{account.id}", "sign_in.linked", f"one_login:{how}"
        )
        audit.append(event, now=now)


def send_code(
    reference: str, issuer: str, subject: str, *, address: str, now: datetime
) -> tuple[Claimant, str] | None:
    """A new code for the claimant with this reference, to link this identity: the claimant
    and the code to send them, or None for a reference that is no claim's (a counted miss, so
    references cannot be tried freely), or when the claimant has had CODES_PER_WINDOW codes
    already. TooManyCodes past the per-address limit. No commit."""
    by_address = [f"link-code-sent:addr:{address}"]
    try:
        ratelimit.check(by_address, limit=ADDRESS_CODES_PER_WINDOW, window=CODES_WINDOW, now=now)
    except ratelimit.TooManyAttempts as limit:
        raise TooManyCodes(limit.retry_after) from None
    ratelimit.record_failure(by_address, now=now)
    claimant = records.claimant_by_reference(reference)
    if claimant is None:
        return None
    by_claimant = f"link-code-sent:{claimant.id}"
    if ratelimit.failures(by_claimant, since=now - CODES_WINDOW) >= CODES_PER_WINDOW:
        # Nothing more is sent, and the answer is the same as for any reference: a 429 here
        # would tell a stranger that the reference is someone's claim.
        return None
    ratelimit.record_failure([by_claimant], now=now)
    # The code before this one stops working: only the newest can link.
    db.session.execute(
        update(ExternalLinkCode)
        .where(
            ExternalLinkCode.issuer == issuer,
            ExternalLinkCode.subject == subject,
            ExternalLinkCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    db.session.add(
        ExternalLinkCode(
            issuer=issuer,
            subject=subject,
            claimant_id=claimant.id,
            code_hash=hash_secret(code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    db.session.flush()
    return claimant, code


def confirm_code(typed: str, issuer: str, subject: str, *, address: str, now: datetime) -> Claimant:
    """The claimant the right code links this identity to (linked, audited); CodeRefused or
    ratelimit.TooManyAttempts (even for the right code). No commit: the caller keeps a miss."""
    pending = db.session.scalar(
        select(ExternalLinkCode)
        .where(
            ExternalLinkCode.issuer == issuer,
            ExternalLinkCode.subject == subject,
            ExternalLinkCode.used_at.is_(None),
        )
        .order_by(ExternalLinkCode.created_at.desc())
        .limit(1)
    )
    digits = "".join(ch for ch in typed if ch.isdigit())
    keys = [f"link-code:addr:{address}"]
    if pending is not None:
        keys.insert(0, f"link-code:{pending.claimant_id}")

    def right() -> ExternalLinkCode | None:
        if pending is None or now >= pending.expires_at or len(digits) != CODE_DIGITS:
            return None
        return pending if hmac.compare_digest(hash_secret(digits), pending.code_hash) else None

    found = ratelimit.guess(keys, right, now=now)
    if found is None:
        raise CodeRefused()
    found.used_at = now
    claimant = db.session.get(Claimant, found.claimant_id)
    assert claimant is not None  # a foreign key
    link(claimant.account, issuer, subject, how=BY_CODE, now=now)
    return claimant


def staff_account(email: object, name: object, *, now: datetime) -> Account | None:
    """The staff account with this email (an existing one is linked by it), or None when the
    email belongs to someone who is not staff."""
    if not isinstance(email, str) or not email.strip():
        return None
    username = email.strip().lower()
    account = db.session.scalar(select(Account).where(func.lower(Account.username) == username))
    if account is not None:
        return account if account.role == "staff" else None
    # A password nobody knows: this person signs in through the department's provider only.
    account = Account(
        username=username,
        password_hash=f"!external:{secrets.token_hex(16)}",
        role="staff",
        name=name if isinstance(name, str) and name.strip() else username,
        created_at=now,
    )
    db.session.add(account)
    db.session.flush()
    db.session.add(StaffMember(id=account.id, team=""))
    db.session.flush()
    return account
