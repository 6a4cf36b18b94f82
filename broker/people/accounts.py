"""People who sign in: password hashing (Argon2), sign-in with rate limits, and account creation."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import metrics, ratelimit
from ..chain import audit
from ..extensions import db
from ..models import Account, Adviser, Claimant, Organisation, StaffMember
from . import external_sign_in, passkeys


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the username is unknown, so that both paths cost one Argon2 verify.

    Made on first use, not at import: Argon2 takes 64 MiB to hash, which would otherwise sit in
    the peak memory of every process, API-only workers included.
    """
    return hasher.hash("not-a-real-password")


# The adviser code shown as an example on "Give someone access": it belongs to nobody, so a
# claimant who copies the hint gives access to no one (create_adviser refuses it).
EXAMPLE_ADVISER_CODE = "ABC-1234"
WRONG_CODE_LIMIT = ratelimit.GUESS_LIMIT  # wrong adviser codes before 429, as for user codes

# security.md 26 and 31: wrong passwords count per account-and-address pair, so a stranger's
# guesses from elsewhere never lock a claimant out of their own phone. After SIGN_IN_LIMIT
# failures of one pair, each further try waits 1 minute, then 2, 4, 8, at most 15. One address
# may fail ADDRESS_LIMIT times in ADDRESS_WINDOW across all accounts (password spraying); that is
# high enough that the people behind one shared address (an advice centre, a library) do not
# lock each other out.
SIGN_IN_LIMIT = 5
FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(minutes=15)
PAIR_MEMORY = timedelta(hours=12)  # failures older than this are forgotten
ADDRESS_LIMIT = 50
ADDRESS_WINDOW = timedelta(minutes=15)


class SignInFailed(Exception):
    """Wrong username or password; deliberately says no more than that."""


class PasswordsTurnedOff(SignInFailed):
    """The password was right, but this account signs in only with a passkey (issue 17)."""


class UseOneLogin(SignInFailed):
    """The password was right, but this account is linked to an OpenID Connect provider and
    signs in there only (issue 25): One Login for a claimant, the department's for staff."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


class PasswordNotAllowed(SignInFailed):
    """The password was right, but people with this role sign in through their provider."""


def sign_in(
    username: str,
    password: str,
    *,
    address: str,
    now: datetime,
    hasher: PasswordHasher,
    refused_roles: frozenset[str] = frozenset(),
) -> Account:
    """The account for these credentials, or SignInFailed / ratelimit.TooManyAttempts.

    Failures count per (username, address) pair with a growing delay, and per address across
    usernames, in the database so every worker sees them; both keys stay locked until the
    caller's transaction ends. A right password forgets its pair's failures. An account linked
    to an OpenID Connect provider, or whose role is in `refused_roles`, signs in there only.
    The caller commits either way, so failures are counted even though sign-in failed.
    """
    username = normalise(username)
    pair, by_address = f"sign-in:pair:{address}:{username}", f"sign-in:addr:{address}"
    keys = [pair, by_address]
    ratelimit.lock(keys, since=now - max(PAIR_MEMORY, ADDRESS_WINDOW))
    try:
        ratelimit.wait_out(
            pair,
            free=SIGN_IN_LIMIT,
            first=FIRST_DELAY,
            cap=LONGEST_DELAY,
            memory=PAIR_MEMORY,
            now=now,
        )
    except ratelimit.TooManyAttempts:
        metrics.SIGN_IN_LOCKOUTS.labels("account_and_address").inc()
        raise
    if ratelimit.failures(by_address, since=now - ADDRESS_WINDOW) >= ADDRESS_LIMIT:
        metrics.SIGN_IN_LOCKOUTS.labels("address").inc()
        raise ratelimit.TooManyAttempts(int(ADDRESS_WINDOW.total_seconds()))
    account = db.session.scalar(db.select(Account).where(Account.username == username))
    try:
        hasher.verify(account.password_hash if account else _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        account = None
    if account is None:
        ratelimit.record_failure(keys, now=now)
        raise SignInFailed()
    if passkeys.passwords_off(account.id):
        # Still a counted failure: a leaked password must not become a free oracle.
        ratelimit.record_failure(keys, now=now)
        raise PasswordsTurnedOff()
    if external_sign_in.uses_external_sign_in(account.id):
        ratelimit.record_failure(keys, now=now)  # as above: no free oracle
        raise UseOneLogin(account.role)
    if account.role in refused_roles:
        ratelimit.record_failure(keys, now=now)
        raise PasswordNotAllowed()
    ratelimit.forget([pair])
    return account


def normalise(username: str) -> str:
    return username.strip().lower()


def create_account(
    username: str,
    password: str,
    role: str,
    name: str,
    now: datetime,
    *,
    hasher: PasswordHasher,
    account_id: str | None = None,
) -> Account:
    """`account_id` only when it had to be known first (a passkey's user handle, issue 25)."""
    account = Account(
        username=normalise(username),
        password_hash=hasher.hash(password),
        role=role,
        name=name,
        created_at=now,
        **({"id": account_id} if account_id else {}),
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
    *,
    hasher: PasswordHasher,
) -> Claimant:
    account = create_account(username, password, "claimant", name, now, hasher=hasher)
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
    username: str,
    password: str,
    name: str,
    organisation: Organisation,
    code: str,
    now: datetime,
    *,
    hasher: PasswordHasher,
    account_id: str | None = None,
) -> Adviser:
    if normalise_code(code) == normalise_code(EXAMPLE_ADVISER_CODE):
        raise ValueError(f"{EXAMPLE_ADVISER_CODE} is the example code on the claimant's page")
    account = create_account(
        username, password, "adviser", name, now, hasher=hasher, account_id=account_id
    )
    adviser = Adviser(id=account.id, organisation_id=organisation.id, code=normalise_code(code))
    db.session.add(adviser)
    db.session.flush()
    return adviser


def create_staff(
    username: str, password: str, name: str, team: str, now: datetime, *, hasher: PasswordHasher
) -> StaffMember:
    account = create_account(username, password, "staff", name, now, hasher=hasher)
    staff = StaffMember(id=account.id, team=team)
    db.session.add(staff)
    db.session.flush()
    return staff


def normalise_code(code: str) -> str:
    """Adviser codes are typed by claimants: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def adviser_by_code(code: str) -> Adviser | None:
    """The adviser with this code, or None; unlimited, for DWP staff (use find_adviser for a
    code a claimant types)."""
    wanted = normalise_code(code)
    if not wanted:
        return None
    return db.session.scalar(db.select(Adviser).where(Adviser.code == wanted))


def find_adviser(
    code: str, *, attempt_keys: list[str], now: datetime, shared_keys: Sequence[str] = ()
) -> Adviser | None:
    """The adviser with the code a claimant typed, or None (a wrong try, counted).

    security.md 32: limited and counted like user codes (ratelimit.guess), because a hit names
    an adviser and their organisation: `attempt_keys` (the person) at 5 wrong codes in 15
    minutes, `shared_keys` (their address, which others may share) at many more, so that one
    person's guesses never lock out everyone at an advice centre or a library (security.md 65).
    """
    return ratelimit.guess(attempt_keys, lambda: adviser_by_code(code), now=now, shared=shared_keys)
