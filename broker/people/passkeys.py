"""Passkeys (WebAuthn, issue 17): register one, sign in with one, remove one, and turn password
sign-in off once one exists.

Challenges are kept server-side as hashes, live CHALLENGE_LIFETIME and are claimed once by a
conditional UPDATE, so two workers can never both accept the same one. User verification is
required; a sign count that does not go up (when the authenticator keeps one) is refused as a
cloned or replayed credential. Every change and every use is written to the account's own
history and, for a claimant, to their audit chain in the same transaction: no audit, no action.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import webauthn
from sqlalchemy import select, update
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    generate_challenge,
    options_to_json,
)
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .. import clock, ratelimit
from ..chain import audit
from ..extensions import db
from ..models import (
    Account,
    AccountEvent,
    AuditEvent,
    Passkey,
    PasskeyChallenge,
    PasswordSignInOff,
)

RP_NAME = "Consent broker"
CHALLENGE_LIFETIME = timedelta(minutes=5)
REGISTER, SIGN_IN = "register", "sign-in"
# Issue 25: a passkey made while accepting an adviser invitation, before the account exists.
INVITATION = "invitation"
NAME_LENGTH = 60
MOST_PASSKEYS = 10  # per account: enough for every device someone owns

# Failed passkey sign-ins count per address, like wrong passwords (security.md 31 and 48).
FAILURE_LIMIT = 20
FAILURE_WINDOW = timedelta(minutes=15)
# Sign-in challenges are asked for before anyone is known, so each address may ask for only so
# many while they last: nobody can fill the challenge table from one address (security.md 49).
CHALLENGE_LIMIT = 60

# History actions: their words live in broker/web/wording.ACTIONS.
ADDED, USED, REMOVED, REFUSED = (
    "passkey.added",
    "passkey.used",
    "passkey.removed",
    "passkey.refused",
)
PASSWORDS_OFF, PASSWORDS_ON = "passwords.off", "passwords.on"


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the RP ID (a host name) and the exact origin pages come from."""

    rp_id: str
    origin: str


def relying_party(issuer: str, rp_id: str | None = None, origin: str | None = None) -> RelyingParty:
    """From the broker's public URL, unless the settings name them (README: Passkeys)."""
    parts = urlsplit(issuer)
    return RelyingParty(
        rp_id=rp_id or (parts.hostname or ""), origin=origin or f"{parts.scheme}://{parts.netloc}"
    )


class PasskeyRefused(Exception):
    """The passkey, its challenge or the request is not accepted; `reason` says why (a code)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LastWayIn(Exception):
    """Refused: it would leave the account with no way to sign in."""


# Challenges


def _challenge_hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _issue_challenge(purpose: str, account_id: str | None, now: datetime) -> bytes:
    challenge = generate_challenge()
    db.session.add(
        PasskeyChallenge(
            challenge_hash=_challenge_hash(challenge),
            purpose=purpose,
            account_id=account_id,
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )
    db.session.flush()
    return challenge


def _claim_challenge(
    credential: dict[str, Any], purpose: str, account_id: str | None, now: datetime
) -> bytes:
    """The challenge this response answers, marked used; PasskeyRefused unless it was issued
    here for this purpose (and account), is unused and has not expired."""
    try:
        client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
        challenge = base64url_to_bytes(client_data["challenge"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise PasskeyRefused("malformed") from None
    conditions = [
        PasskeyChallenge.challenge_hash == _challenge_hash(challenge),
        PasskeyChallenge.purpose == purpose,
        PasskeyChallenge.used_at.is_(None),
        PasskeyChallenge.expires_at > now,
    ]
    if account_id is not None:
        conditions.append(PasskeyChallenge.account_id == account_id)
    claimed = db.session.execute(
        update(PasskeyChallenge).where(*conditions).values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:
        raise PasskeyRefused("challenge")
    return challenge


# Registration


@dataclass(frozen=True)
class NewPasskey:
    """A registration answer that checked out, not yet kept for any account."""

    credential_id: str
    public_key: bytes
    sign_count: int
    transports: str


def _options(
    rp: RelyingParty,
    challenge: bytes,
    *,
    user_id: str,
    user_name: str,
    display_name: str,
    exclude: list[Passkey],
) -> str:
    options = webauthn.generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=RP_NAME,
        user_id=user_id.encode(),
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in exclude
        ],
    )
    return options_to_json(options)


def registration_options(account: Account, rp: RelyingParty, now: datetime) -> str:
    """The JSON `navigator.credentials.create` needs to make a discoverable passkey."""
    challenge = _issue_challenge(REGISTER, account.id, now)
    return _options(
        rp,
        challenge,
        user_id=account.id,
        user_name=account.username,
        display_name=account.name,
        exclude=listed(account.id),
    )


def invitation_account_id(challenge: bytes, invitation_id: str) -> str:
    """The ID the account made from this invitation with this challenge's passkey will have.

    The passkey's user handle is the account ID, and the browser must be given it before the
    account exists; deriving it from the single-use challenge (64 random bytes) means nothing
    about the account-to-be is stored until the ceremony succeeds."""
    digest = hashlib.sha256(b"invitation-account\0" + challenge + invitation_id.encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def invitation_options(
    invitation_id: str, email: str, name: str, rp: RelyingParty, *, address: str, now: datetime
) -> str:
    """Issue 25: the options for the passkey an invitee signs in with instead of a password.
    Counted per address like sign-in challenges (ratelimit.TooManyAttempts)."""
    keys = [f"passkey-challenge:addr:{address}"]
    ratelimit.check(keys, limit=CHALLENGE_LIMIT, window=CHALLENGE_LIFETIME, now=now)
    ratelimit.record_failure(keys, now=now)
    challenge = _issue_challenge(INVITATION, None, now)
    return _options(
        rp,
        challenge,
        user_id=invitation_account_id(challenge, invitation_id),
        user_name=email,
        display_name=name,
        exclude=[],
    )


def verify_invitation_passkey(
    credential: dict[str, Any], invitation_id: str, rp: RelyingParty, now: datetime
) -> tuple[str, NewPasskey]:
    """The account ID the answer was made for and the passkey, or PasskeyRefused. Claims the
    challenge; keeps nothing (keep() does, once the account exists)."""
    challenge = _claim_challenge(credential, INVITATION, None, now)
    return invitation_account_id(challenge, invitation_id), _verify_new(credential, challenge, rp)


def clean_name(name: str) -> str:
    """A passkey's name as shown: printable, one line, at most NAME_LENGTH characters."""
    return " ".join("".join(c for c in name if c.isprintable()).split())[:NAME_LENGTH]


def register(
    account: Account, credential: dict[str, Any], name: str, rp: RelyingParty, now: datetime
) -> Passkey:
    """Keep the passkey this response makes, or PasskeyRefused (its challenge stays used)."""
    if not clean_name(name):
        raise PasskeyRefused("name")
    challenge = _claim_challenge(credential, REGISTER, account.id, now)
    if len(listed(account.id)) >= MOST_PASSKEYS:
        raise PasskeyRefused("too_many")
    return keep(account, _verify_new(credential, challenge, rp), name, now)


def _verify_new(credential: dict[str, Any], challenge: bytes, rp: RelyingParty) -> NewPasskey:
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError, AttributeError):
        raise PasskeyRefused("invalid") from None
    transports = credential["response"].get("transports")
    known = {t.value for t in AuthenticatorTransport}
    transports = transports if isinstance(transports, list) else []
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=" ".join(t for t in transports if isinstance(t, str) and t in known),
    )


def keep(account: Account, new: NewPasskey, name: str, now: datetime) -> Passkey:
    """Keep a checked passkey as the account's, in its history; PasskeyRefused("known") if
    any account has it already."""
    name = clean_name(name)
    if not name:
        raise PasskeyRefused("name")
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == new.credential_id)):
        raise PasskeyRefused("known")
    passkey = Passkey(
        account_id=account.id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        name=name,
        transports=new.transports,
        created_at=now,
    )
    db.session.add(passkey)
    db.session.flush()
    _record(account, ADDED, passkey, now)
    return passkey


# Sign-in


def sign_in_options(rp: RelyingParty, *, address: str, now: datetime) -> str:
    """The JSON `navigator.credentials.get` needs: no allow-list, so no username is asked for.
    ratelimit.TooManyAttempts once this address asked for CHALLENGE_LIMIT challenges that may
    still be live."""
    keys = [f"passkey-challenge:addr:{address}"]
    ratelimit.check(keys, limit=CHALLENGE_LIMIT, window=CHALLENGE_LIFETIME, now=now)
    ratelimit.record_failure(keys, now=now)  # every challenge counts, answered or not
    challenge = _issue_challenge(SIGN_IN, None, now)
    options = webauthn.generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=challenge,
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def sign_in(
    credential: dict[str, Any], rp: RelyingParty, *, address: str, now: datetime
) -> Account:
    """The account whose passkey made this assertion, or PasskeyRefused /
    ratelimit.TooManyAttempts. Failures are counted per address; the caller commits either way,
    so a refused assertion stays refused (its challenge used, the refusal in the history)."""
    keys = [f"passkey:addr:{address}"]
    ratelimit.check(keys, limit=FAILURE_LIMIT, window=FAILURE_WINDOW, now=now)
    try:
        return _verify_assertion(credential, rp, now)
    except PasskeyRefused:
        ratelimit.record_failure(keys, now=now)
        raise


def _verify_assertion(credential: dict[str, Any], rp: RelyingParty, now: datetime) -> Account:
    challenge = _claim_challenge(credential, SIGN_IN, None, now)
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.credential_id == str(credential.get("rawId", "")))
    )
    if passkey is None:
        raise PasskeyRefused("unknown")
    account = db.session.get(Account, passkey.account_id)
    handle = credential["response"].get("userHandle")  # a dict: _claim_challenge read it
    try:
        if handle and base64url_to_bytes(handle) != account.id.encode():
            raise InvalidAuthenticationResponse("user handle is another account's")
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError, AttributeError) as error:
        # Written with the refusal, which the caller commits: the owner sees someone tried.
        _record(account, REFUSED, passkey, now, outcome="refused")
        reason = "sign_count" if "sign count" in str(error).lower() else "invalid"
        raise PasskeyRefused(reason) from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    _record(account, USED, passkey, now)
    return account


# Managing them


def listed(account_id: str) -> list[Passkey]:
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.account_id == account_id).order_by(Passkey.created_at)
        )
    )


def own(account_id: str, passkey_id: str) -> Passkey | None:
    """The account's own passkey with this ID; another account's is as good as missing."""
    passkey = db.session.get(Passkey, passkey_id)
    return passkey if passkey is not None and passkey.account_id == account_id else None


def remove(account: Account, passkey: Passkey, now: datetime) -> None:
    """Remove one of the account's passkeys; LastWayIn if it is the last one while password
    sign-in is off (turning passwords back on silently would weaken the account without asking)."""
    if passwords_off(account.id) and len(listed(account.id)) <= 1:
        raise LastWayIn()
    _record(account, REMOVED, passkey, now)
    db.session.delete(passkey)
    db.session.flush()


def passwords_off(account_id: str) -> bool:
    return db.session.get(PasswordSignInOff, account_id) is not None


def turn_passwords_off(account: Account, now: datetime) -> None:
    """Only with a passkey to sign in with instead (LastWayIn otherwise)."""
    if not listed(account.id):
        raise LastWayIn()
    if passwords_off(account.id):
        return
    db.session.add(PasswordSignInOff(account_id=account.id, since=now))
    _record(account, PASSWORDS_OFF, None, now)


def turn_passwords_on(account: Account, now: datetime) -> None:
    row = db.session.get(PasswordSignInOff, account.id)
    if row is None:
        return
    db.session.delete(row)
    _record(account, PASSWORDS_ON, None, now)


def history(account_id: str, limit: int = 200) -> list[AccountEvent]:
    """The account's sign-in security events, newest first."""
    return list(
        db.session.scalars(
            select(AccountEvent)
            .where(AccountEvent.account_id == account_id)
            .order_by(AccountEvent.occurred_at.desc(), AccountEvent.id)
            .limit(limit)
        )
    )


def chain_lines(account_id: str, events: list[AccountEvent]) -> dict[str, int]:
    """For each of a claimant's sign-in events (by its ID), the line it wrote to their audit
    chain: `_record` writes both at the same moment with the same action, so that pair finds it.
    What the history's "This wasn't right" names. Empty for an account with no chain."""
    moments = {(e.action, clock.to_micros(e.occurred_at)): e.id for e in events}
    if not moments:
        return {}
    rows = db.session.execute(
        select(AuditEvent.id, AuditEvent.action, AuditEvent.occurred_us).where(
            AuditEvent.claimant_id == account_id,
            AuditEvent.action.in_({action for action, _us in moments}),
            AuditEvent.occurred_us.in_({us for _action, us in moments}),
        )
    )
    return {moments[(action, us)]: line for line, action, us in rows if (action, us) in moments}


def _record(
    account: Account, action: str, passkey: Passkey | None, now: datetime, outcome: str = "done"
) -> None:
    """In the account's history, and for a claimant in their audit chain (which raises, and so
    stops the action, if it cannot be written)."""
    db.session.add(
        AccountEvent(
            account_id=account.id,
            action=action,
            detail=passkey.name if passkey is not None else "",
            occurred_at=now,
        )
    )
    if account.role == "claimant":
        audit.append(
            audit.Event(
                claimant_id=account.id,
                token_id="",
                grant_id="",
                actor=f"claimant:{account.id}",
                action=action,
                resource=f"passkey:{passkey.id}" if passkey is not None else "",
                outcome=outcome,
            ),
            now=now,
        )
    db.session.flush()
