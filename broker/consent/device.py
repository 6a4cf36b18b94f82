"""RFC 8628 device authorization requests: an adviser (through the console) or a device client
asks; the claimant answers on their phone with the user code; the device client collects its
tokens once.

The device code is stored as its SHA-256 only; the user code is stored as typed (it is the
lookup key, short-lived and single use). Wrong user codes are counted in the database per
account and per address, so guessing stops after a few tries on every worker.
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update

from .. import ratelimit
from ..chain.keys import Signer
from ..extensions import db
from ..models import Adviser, Claimant, DeviceAuthorization, Grant, OAuthClient
from ..opaque import hash_secret, new_opaque_token
from . import clients, grants, windows

# RFC 8628 6.1: 20 consonants (no vowels, so no words; no look-alike digits), case-insensitive.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8  # 20^8 is about 2^34.6; with 5 tries per window, guessing is hopeless
LIFETIME = timedelta(minutes=10)  # security.md 21: at most 10 minutes
INTERVAL_SECONDS = 5
SLOW_DOWN_SECONDS = 5  # RFC 8628 3.5: add 5 seconds for this and every later request
WRONG_CODE_LIMIT = ratelimit.GUESS_LIMIT

PENDING, APPROVED, DENIED, USED, EXPIRED = "pending", "approved", "denied", "used", "expired"


class CodeNotFound(LookupError):
    """No request has this user code (the try was counted)."""


class CodeUnusable(Exception):
    """The request exists but can no longer be answered: it was answered or it ran out."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


class RequestNotFound(LookupError):
    """No such request for this adviser."""


@dataclass(frozen=True)
class Started:
    """A new request: the device code goes to the device client only, once."""

    authorization: DeviceAuthorization
    device_code: str
    user_code: str  # for people: XXXX-XXXX


def start(
    client: OAuthClient,
    *,
    scope_names: Sequence[str],
    details: clients.ConsentDetails,
    adviser: Adviser | None,
    now: datetime,
) -> Started:
    """Open a request for these scopes; adds the row (device code hashed), no commit."""
    device_code = new_opaque_token()  # 256 bits (security.md 22 asks for at least 128)
    authorization = DeviceAuthorization(
        device_code_hash=hash_secret(device_code),
        user_code=_unused_user_code(),
        client_id=client.id,
        adviser_id=adviser.id if adviser else None,
        scopes=" ".join(scope_names),
        purpose=details.purpose,
        relationship=details.relationship,
        duration_days=(grants.add_months(now, details.months) - now).days,
        authorization_details=_details_json(details),
        status=PENDING,
        interval=INTERVAL_SECONDS,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    db.session.add(authorization)
    db.session.flush()
    return Started(authorization, device_code, display(authorization.user_code))


def _details_json(details: clients.ConsentDetails) -> str:
    return json.dumps([details.as_json()])


def new_user_code() -> str:
    """Eight characters from the 20-consonant alphabet, from the system's CSPRNG."""
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def _unused_user_code() -> str:
    for _ in range(20):
        code = new_user_code()
        taken = db.session.scalar(
            db.select(DeviceAuthorization.id).where(DeviceAuthorization.user_code == code)
        )
        if taken is None:
            return code
    raise RuntimeError("could not find an unused user code")


def normalise_user_code(text: str) -> str:
    """What a person typed, as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def state_of(authorization: DeviceAuthorization, now: datetime) -> str:
    """pending, approved, denied, used, or expired (computed: a pending request past its time)."""
    if authorization.status == PENDING and now >= authorization.expires_at:
        return EXPIRED
    return authorization.status


def find(
    typed: str, *, attempt_keys: list[str], now: datetime, claimant_id: str | None = None
) -> DeviceAuthorization:
    """The request with this user code, in any state; CodeNotFound (counted) if there is none,
    or if it is for another claimant (an organisation's move request: issue 25).

    Limited and counted by ratelimit.guess (ratelimit.TooManyAttempts).
    """
    found = ratelimit.guess(attempt_keys, lambda: _by_user_code(typed, claimant_id), now=now)
    if found is None:
        raise CodeNotFound(typed)
    return found


def _by_user_code(typed: str, claimant_id: str | None) -> DeviceAuthorization | None:
    code = normalise_user_code(typed)
    if len(code) != USER_CODE_LENGTH or not set(code) <= set(USER_CODE_ALPHABET):
        return None
    found = db.session.scalar(
        db.select(DeviceAuthorization).where(DeviceAuthorization.user_code == code)
    )
    if found is not None and found.for_claimant_id not in (None, claimant_id):
        return None  # another claimant's: as if there were no such code
    return found


def check_answerable(authorization: DeviceAuthorization, now: datetime) -> None:
    """CodeUnusable unless the request is still waiting for the claimant's answer."""
    state = state_of(authorization, now)
    if state != PENDING:
        raise CodeUnusable(state)


def requested_details(authorization: DeviceAuthorization) -> clients.ConsentDetails:
    details = clients.details_from_json(authorization.authorization_details)
    if details is None:  # a request made before details were kept: ask for the default
        months = min(clients.DEFAULT_MONTHS, max(1, authorization.duration_days // 30))
        return clients.ConsentDetails(authorization.purpose, authorization.relationship, "", months)
    return details


def representative(authorization: DeviceAuthorization) -> grants.Representative:
    """Who is asking: the adviser at the console, or the client system and its organisation."""
    if authorization.adviser_id:
        adviser = db.session.get(Adviser, authorization.adviser_id)
        if adviser is not None:
            return grants.Representative.of(adviser)
    client = db.session.get(OAuthClient, authorization.client_id)
    if client is None:
        raise RequestNotFound(authorization.id)
    return clients.representative_for(client)


def approve(
    authorization: DeviceAuthorization,
    claimant: Claimant,
    *,
    signer: Signer,
    chosen: Sequence[str],
    months: int,
    now: datetime,
    window: windows.Window | None = None,
) -> Grant:
    """The claimant says yes (perhaps to less): the grant is made now, and the device client
    collects tokens under it. CodeUnusable if the request was answered meanwhile."""
    check_answerable(authorization, now)
    client = db.session.get(OAuthClient, authorization.client_id)
    if client is None:
        raise CodeUnusable(EXPIRED)
    grant = clients.grant_access(
        claimant,
        representative(authorization),
        client=client,
        requested=authorization.scopes.split(),
        chosen=chosen,
        details=requested_details(authorization),
        months=months,
        now=now,
        signer=signer,
        window=window,
    )
    _answer(authorization, APPROVED, claimant, grant)
    _end_moved(authorization, grant, claimant, signer=signer, now=now)
    return grant


MOVED_REASON = "Moved to a colleague at the claimant's request"


def _end_moved(
    authorization: DeviceAuthorization,
    grant: Grant,
    claimant: Claimant,
    *,
    signer: Signer,
    now: datetime,
) -> None:
    """A move request approved (issue 25): the leaving adviser's grant ends, by the claimant,
    so that their consent is now with the colleague alone."""
    if not authorization.moves_grant_id or authorization.moves_grant_id == grant.id:
        return
    moved = db.session.get(Grant, authorization.moves_grant_id)
    if moved is None or moved.claimant_id != claimant.id:
        return
    grants.revoke(moved, signer=signer, by=f"claimant:{claimant.id}", now=now, reason=MOVED_REASON)


def refuse(authorization: DeviceAuthorization, claimant: Claimant, *, now: datetime) -> None:
    """The claimant says no: the device client is told access_denied on its next poll."""
    check_answerable(authorization, now)
    _answer(authorization, DENIED, claimant, None)


def _answer(
    authorization: DeviceAuthorization, status: str, claimant: Claimant, grant: Grant | None
) -> None:
    # Conditional on still pending, so two answers racing each other cannot both land.
    result = db.session.execute(
        update(DeviceAuthorization)
        .where(DeviceAuthorization.id == authorization.id, DeviceAuthorization.status == PENDING)
        .values(status=status, claimant_id=claimant.id, grant_id=grant.id if grant else None)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise CodeUnusable(authorization.status)


def by_device_code(device_code: str) -> DeviceAuthorization | None:
    if not device_code:
        return None
    return db.session.scalar(
        db.select(DeviceAuthorization).where(
            DeviceAuthorization.device_code_hash == hash_secret(device_code)
        )
    )


def poll(authorization: DeviceAuthorization, now: datetime) -> bool:
    """Record a poll; True if it came sooner than the interval allows (RFC 8628 3.5 slow_down),
    in which case the interval grows by 5 seconds for this and every later poll."""
    last = authorization.last_polled_at
    too_soon = last is not None and now - last < timedelta(seconds=authorization.interval)
    if too_soon:
        authorization.interval += SLOW_DOWN_SECONDS
    authorization.last_polled_at = now
    return too_soon


def claim(authorization: DeviceAuthorization) -> bool:
    """Mark an approved request used, exactly once: False if it was already collected
    (security.md 22: a device code is single use, even under concurrent polls)."""
    result = db.session.execute(
        update(DeviceAuthorization)
        .where(DeviceAuthorization.id == authorization.id, DeviceAuthorization.status == APPROVED)
        .values(status=USED)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def for_adviser(adviser_id: str, authorization_id: str) -> DeviceAuthorization:
    found = db.session.get(DeviceAuthorization, authorization_id)
    if found is None or found.adviser_id != adviser_id:
        raise RequestNotFound(authorization_id)
    return found


def qr_code_svg(text: str) -> bytes:
    """A QR code of `text` as a self-contained SVG (white background, no external assets)."""
    # Imported here: qrcode loads Pillow (about 5 MB with it) in every worker that would load it
    # at start, for the few pages that draw a code (issue 28's memory target).
    import qrcode
    import qrcode.image.svg

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
        image_factory=qrcode.image.svg.SvgPathFillImage,
    )
    code.add_data(text)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
