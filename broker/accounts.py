"""People who sign in: password hashing (Argon2), sign-in with rate limits, and account creation."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import audit, ratelimit
from .extensions import db
from .models import Account, Adviser, Claimant, Organisation, StaffMember

hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so that both paths cost one Argon2 verify.

    Made on first use, not at import: Argon2 takes 64 MiB to hash, which would otherwise sit in
    the peak memory of every process, API-only workers included.
    """
    return hasher.hash("not-a-real-password")


# The adviser code shown as an example on "Give someone access": it belongs to nobody, so a
# claimant who copies the hint gives access to no one (create_adviser refuses it).
EXAMPLE_ADVISER_CODE = "ABC-1234"

SIGN_IN_LIMIT = 5
SIGN_IN_WINDOW = timedelta(minutes=15)


class SignInFailed(Exception):
    """Wrong username or password; deliberately says no more than that."""


def sign_in(username: str, password: str, *, address: str, now: datetime) -> Account:
    """The account for these credentials, or SignInFailed / ratelimit.TooManyAttempts.

    Failures count per account and per address, in the database so every worker sees them.
    The caller commits either way, so failures are counted even though sign-in failed.
    """
    username = normalise(username)
    keys = [f"sign-in:user:{username}", f"sign-in:addr:{address}"]
    ratelimit.check(keys, limit=SIGN_IN_LIMIT, window=SIGN_IN_WINDOW, now=now)
    account = db.session.scalar(db.select(Account).where(Account.username == username))
    try:
        hasher.verify(account.password_hash if account else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        account = None
    if account is None:
        ratelimit.record_failure(keys, now=now)
        raise SignInFailed()
    return account


def normalise(username: str) -> str:
    return username.strip().lower()


def create_account(username: str, password: str, role: str, name: str, now: datetime) -> Account:
    account = Account(
        username=normalise(username),
        password_hash=hasher.hash(password),
        role=role,
        name=name,
        created_at=now,
    )
    db.session.add(account)
    db.session.flush()
    return account


def create_claimant(
    username: str,
    password: str,
    name: str,
    reference: str,
    now: datetime,
    partner: Claimant | None = None,
) -> Claimant:
    account = create_account(username, password, "claimant", name, now)
    claimant = Claimant(
        id=account.id, reference=reference, partner_id=partner.id if partner else None
    )
    db.session.add(claimant)
    db.session.flush()
    audit.start_chain(claimant.id)
    if partner is not None and partner.partner_id is None:
        partner.partner_id = claimant.id
    return claimant


def create_adviser(
    username: str, password: str, name: str, organisation: Organisation, code: str, now: datetime
) -> Adviser:
    if normalise_code(code) == normalise_code(EXAMPLE_ADVISER_CODE):
        raise ValueError(f"{EXAMPLE_ADVISER_CODE} is the example code on the claimant's page")
    account = create_account(username, password, "adviser", name, now)
    adviser = Adviser(id=account.id, organisation_id=organisation.id, code=normalise_code(code))
    db.session.add(adviser)
    db.session.flush()
    return adviser


def create_staff(username: str, password: str, name: str, team: str, now: datetime) -> StaffMember:
    account = create_account(username, password, "staff", name, now)
    staff = StaffMember(id=account.id, team=team)
    db.session.add(staff)
    db.session.flush()
    return staff


def normalise_code(code: str) -> str:
    """Adviser codes are typed by claimants: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def adviser_by_code(code: str) -> Adviser | None:
    wanted = normalise_code(code)
    if not wanted:
        return None
    return db.session.scalar(db.select(Adviser).where(Adviser.code == wanted))
