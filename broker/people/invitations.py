"""Inviting an adviser into an organisation (issue 25): a one-time link, valid 7 days.

Only the link token's SHA-256 is kept (broker/opaque.py); the link itself goes out once, in the
invitation email through the outbox. It is claimed by a conditional UPDATE (`used_at IS NULL`
and not expired), so two tabs or two workers can never both make an account from one link, and
an expired, used or unknown link makes nothing (security.md 60). The invitee chooses a passkey
(offered first) or a password; with a passkey, password sign-in starts off.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import update

from ..extensions import db
from ..models import Account, Adviser, Invitation, Organisation
from ..opaque import hash_secret, new_opaque_token
from . import accounts, organisations, passkeys

LIFETIME = timedelta(days=7)
MIN_PASSWORD = 12
PASSKEY_NAME = "Made when you joined"  # the adviser can see it, and add more, in their account
CODE_TRIES = 20  # random adviser codes tried before giving up (10 000 per prefix)


class InvitationRefused(ValueError):
    """The link is unknown, used or expired (`reason`), or the answer on the form is wrong
    (`field` names it)."""

    def __init__(self, message: str, *, reason: str = "", field: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field


def invite(
    organisation: Organisation,
    email: str,
    *,
    by: str,
    now: datetime,
    as_admin: bool = False,
) -> tuple[Invitation, str]:
    """A new invitation and its link token (shown or sent once, never stored). No commit."""
    email = accounts.normalise(email)
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise InvitationRefused("Enter an email address, like name@example.org", field="email")
    if db.session.scalar(db.select(Account.id).where(Account.username == email)):
        raise InvitationRefused("Someone already has an account with this email", field="email")
    if organisation.suspended_at is not None:
        raise InvitationRefused("This organisation is suspended", field="email")
    token = new_opaque_token()
    invitation = Invitation(
        organisation_id=organisation.id,
        email=email,
        token_hash=hash_secret(token),
        invited_by=by,
        as_admin=as_admin,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    organisations.record(
        organisation.id, by, "invitation.create", f"invitation:{invitation.id}", now
    )
    return invitation, token


def open_link(token: str, now: datetime) -> Invitation:
    """The invitation a link names, if it can still be accepted; InvitationRefused if not."""
    invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.token_hash == hash_secret(token))
    )
    if invitation is None:
        raise InvitationRefused("This link is not one we sent", reason="unknown")
    if invitation.used_at is not None:
        raise InvitationRefused("This link has already been used", reason="used")
    if now >= invitation.expires_at:
        raise InvitationRefused("This link has expired", reason="expired")
    return invitation


def accept(
    token: str, *, name: str, password: str, now: datetime, hasher: PasswordHasher
) -> Adviser:
    """Claim the link once and make the adviser, with a code carrying the organisation's
    prefix. No commit."""
    invitation = open_link(token, now)
    name = _full_name(name)
    if len(password) < MIN_PASSWORD:
        raise InvitationRefused(
            f"Your password must be at least {MIN_PASSWORD} characters", field="password"
        )
    _claim(invitation, now)
    return _make_adviser(invitation, name, password, now, hasher=hasher)


def accept_with_passkey(
    token: str,
    *,
    name: str,
    credential: dict[str, Any],
    rp: passkeys.RelyingParty,
    now: datetime,
    hasher: PasswordHasher,
) -> Adviser:
    """Issue 25, a passkey offered first: check the passkey's answer, claim the link once (the
    same conditional UPDATE as a password), make the adviser with password sign-in off, and
    keep the passkey. InvitationRefused or passkeys.PasskeyRefused otherwise; the caller rolls
    back on either, so a failed ceremony makes nothing and the link still works. No commit."""
    invitation = open_link(token, now)
    name = _full_name(name)
    account_id, passkey = passkeys.verify_invitation_passkey(credential, invitation.id, rp, now)
    _claim(invitation, now)
    # A password nobody knows: the account has one (the column is required), but its password
    # sign-in is off until the adviser turns it on and chooses one.
    adviser = _make_adviser(
        invitation, name, secrets.token_urlsafe(32), now, hasher=hasher, account_id=account_id
    )
    account = db.session.get(Account, adviser.id)
    assert account is not None
    passkeys.keep(account, passkey, PASSKEY_NAME, now)
    passkeys.turn_passwords_off(account, now)
    return adviser


def _full_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvitationRefused("Enter your full name", field="name")
    return name


def _claim(invitation: Invitation, now: datetime) -> None:
    """The one conditional UPDATE that uses the link: unused and unexpired, or refused."""
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # another request claimed it first
        raise InvitationRefused("This link has already been used", reason="used")


def _make_adviser(
    invitation: Invitation,
    name: str,
    password: str,
    now: datetime,
    *,
    hasher: PasswordHasher,
    account_id: str | None = None,
) -> Adviser:
    organisation = db.session.get(Organisation, invitation.organisation_id)
    assert organisation is not None
    adviser = accounts.create_adviser(
        invitation.email,
        password,
        name,
        organisation,
        new_code(organisation),
        now,
        hasher=hasher,
        account_id=account_id,
    )
    adviser.is_org_admin = invitation.as_admin
    db.session.refresh(invitation)
    invitation.adviser_id = adviser.id
    organisations.record(
        organisation.id,
        f"adviser:{adviser.id}",
        "invitation.accept",
        f"invitation:{invitation.id}",
        now,
    )
    return adviser


def new_code(organisation: Organisation) -> str:
    """PREFIX-NNNN, random, unused (codes name an adviser; they do not authorise)."""
    prefix = organisations.prefix_of(organisation)
    for _ in range(CODE_TRIES):
        code = f"{prefix}-{secrets.randbelow(10_000):04d}"
        if accounts.adviser_by_code(code) is None and code != accounts.EXAMPLE_ADVISER_CODE:
            return code
    raise InvitationRefused("No adviser code is free for this organisation", field="name")


def pending(organisation_id: str, now: datetime) -> list[Invitation]:
    return list(
        db.session.scalars(
            db.select(Invitation)
            .where(
                Invitation.organisation_id == organisation_id,
                Invitation.used_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at)
        )
    )
